/**
 * The HTML shell of every panel: a Content-Security-Policy of `default-src 'none'` that allows only this load's
 * nonce for scripts and the panel's own stylesheet, assets through asWebviewUri, and localResourceRoots limited to
 * the bundled webview folder.
 */
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

export function mediaRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'media');
}

export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions & vscode.WebviewPanelOptions {
  return { enableScripts: true, localResourceRoots: [mediaRoot(extensionUri)], retainContextWhenHidden: false };
}

/** `script` is a bundle name under dist/media (without .js); its .css sibling is linked when `withCss`. */
export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, opts: { title: string; script: string; withCss: string[]; body: string }): string {
  const nonce = randomBytes(16).toString('base64');
  const asset = (file: string) => webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot(extensionUri), file)).toString();
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  const styles = opts.withCss.map((f) => `<link rel="stylesheet" href="${asset(f)}" nonce="${nonce}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styles}
    <title>${escapeHtml(opts.title)}</title>
  </head>
  <body>
    ${opts.body}
    <script nonce="${nonce}" src="${asset(`${opts.script}.js`)}"></script>
  </body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
