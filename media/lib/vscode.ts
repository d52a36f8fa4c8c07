/** What every panel script shares: the typed VS Code webview API and theme colours read from CSS variables. */
interface WebviewApi<Out, State> {
  postMessage(message: Out): void;
  getState(): State | undefined;
  setState(state: State): void;
}
declare function acquireVsCodeApi<Out, State>(): WebviewApi<Out, State>;

export function vscodeApi<Out, State = unknown>(): WebviewApi<Out, State> {
  return acquireVsCodeApi<Out, State>();
}

/** A theme colour by its VS Code name (`charts.blue` → `--vscode-charts-blue`), for canvas drawing. */
export function themeColor(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(`--vscode-${name.replace(/\./g, '-')}`).trim();
  return value || fallback;
}

/** Calls `fn` when the user switches between light, dark and high-contrast themes. */
export function onThemeChange(fn: () => void): void {
  new MutationObserver(fn).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> & { className?: string } = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

export function percent(x: number): string {
  return `${(100 * x).toFixed(1)}%`;
}
