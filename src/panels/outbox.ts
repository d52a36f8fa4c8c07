/**
 * Messages from the extension to a panel's page, held until the page says it is ready: a page that is still
 * loading, or was unloaded while its tab was hidden, would drop them (an error from opening a panel with no usable
 * model was lost that way). The panel calls `ready()` when its page sends 'ready'; hiding the tab makes the outbox
 * wait for the next 'ready'. A message the webview refuses to take is kept for the next one.
 */
import * as vscode from 'vscode';

export class WebviewOutbox<T> implements vscode.Disposable {
  private queue: T[] = [];
  private isReady = false;
  /** Messages that reached a loaded page, oldest first (for tests, through the extension's API). */
  readonly delivered: T[] = [];
  private readonly viewState: vscode.Disposable;

  constructor(private readonly panel: vscode.WebviewPanel) {
    // A hidden tab's page is unloaded; it says 'ready' again when shown, restoring what it had from its state.
    this.viewState = panel.onDidChangeViewState(({ webviewPanel }) => {
      if (!webviewPanel.visible) this.isReady = false;
    });
  }

  /** The page is loaded: send what waited, in order. */
  ready(): void {
    this.isReady = true;
    const waiting = this.queue;
    this.queue = [];
    for (const message of waiting) this.post(message);
  }

  post(message: T): void {
    if (!this.isReady) {
      this.queue.push(message);
      return;
    }
    void this.panel.webview.postMessage(message).then((sent) => {
      if (sent) this.delivered.push(message);
      else this.queue.push(message);
    });
  }

  dispose(): void {
    this.viewState.dispose();
  }
}

/** Brings a panel of `viewType` back after a window reload: `revive` makes the panel class's object for it (with the page's saved state). */
export function registerPanelSerializer(viewType: string, revive: (panel: vscode.WebviewPanel, state: unknown) => unknown): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(viewType, {
    deserializeWebviewPanel: async (panel, state: unknown) => {
      revive(panel, state);
    },
  });
}
