/**
 * Select active model: a model folder in the workspace (including models trained here), one from the Hugging
 * Face cache, a folder anywhere, or a Hub id to download. The choice goes to the user's `xlm.model` setting.
 */
import * as vscode from 'vscode';
import { hubToken } from '../client/hubToken.js';
import path from 'node:path';
import type { Ctx } from '../client/ctx.js';
import { runFolder, setActiveModel, setting } from '../client/config.js';
import * as p from '../engine/rpc/protocol.js';
import { ResponseError } from 'vscode-jsonrpc';

type ModelPick = vscode.QuickPickItem & { dir?: string; action?: 'browse' | 'hub' | 'default' };

export function registerSelectModel(ctx: Ctx): void {
  ctx.command('xlm.selectModel', 'Select active model', async (dirArg?: string): Promise<p.ModelInfo | undefined> => {
    const dir = dirArg ?? (await pickModel(ctx));
    if (!dir) return undefined;
    await setActiveModel(dir);
    try {
      const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `XLM: loading ${path.basename(dir)}`, cancellable: true }, (_p, token) => ctx.ensureModel(token));
      void vscode.window.showInformationMessage(`XLM Lab: active model ${path.basename(dir)} (${info.modelType}, ${info.layers} layers, ${info.device}).`);
      return info;
    } catch (e) {
      await ctx.showError(`Load ${dir}`, e);
      return undefined;
    }
  });
}

async function pickModel(ctx: Ctx): Promise<string | undefined> {
  const items: ModelPick[] = [
    { label: '$(star) Embedded default model', action: 'default', detail: 'XLM-R pre-trained by XLM Lab on the UDHR in many languages; built on this machine the first time (minutes), then reused' },
    { label: '$(folder-opened) Browse for a model folder…', action: 'browse' },
    { label: '$(cloud-download) Download from the Hugging Face Hub…', action: 'hub', description: setting('hub.offline', false) ? 'offline mode is on' : undefined },
  ];
  const runs = runFolder();
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', 200);
  const folders = configs.map((u) => path.dirname(u.fsPath));
  const workspaceModels = await filterModelFolders(folders);
  const trained = workspaceModels.filter((d) => d.startsWith(runs + path.sep));
  const others = workspaceModels.filter((d) => !trained.includes(d));
  if (trained.length) items.push({ label: 'Trained in this workspace', kind: vscode.QuickPickItemKind.Separator }, ...trained.map((d) => ({ label: `$(mortar-board) ${path.relative(runs, d)}`, description: d, dir: d })));
  if (others.length) items.push({ label: 'Workspace', kind: vscode.QuickPickItemKind.Separator }, ...others.map((d) => ({ label: `$(folder) ${vscode.workspace.asRelativePath(d)}`, description: d, dir: d })));
  try {
    const cached = await ctx.request(p.hubList);
    if (cached.length) items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator }, ...cached.map((m) => ({ label: `$(package) ${m.repoId}`, description: `${m.revision.slice(0, 8)} ${m.modelType ?? ''}`, dir: m.dir })));
  } catch (e) {
    ctx.output.info(`Hugging Face cache not listed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const pick = await vscode.window.showQuickPick(items, { title: 'Select active model', placeHolder: 'A Hugging Face model folder of the XLM-R family', matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.dir) return pick.dir;
  if (pick.action === 'default') return ensureDefaultModel(ctx);
  if (pick.action === 'browse') {
    const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Use this model' });
    return uri?.[0]?.fsPath;
  }
  const repoId = await vscode.window.showInputBox({ title: 'Download from the Hugging Face Hub', prompt: 'Model id', placeHolder: 'FacebookAI/xlm-roberta-base' });
  if (!repoId) return undefined;
  const download = (confirmed: boolean) => {
    const progressDone = new Map<string, number>();
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `XLM: downloading ${repoId}`, cancellable: true }, (progress, token) => {
      const sub = ctx.notify(p.hubProgress, (h) => {
        if (h.repoId !== repoId) return;
        const before = progressDone.get(h.file) ?? 0;
        progressDone.set(h.file, h.bytes);
        progress.report({ message: `${h.file} ${(h.bytes / 1e6).toFixed(1)}${h.totalBytes ? ` / ${(h.totalBytes / 1e6).toFixed(1)}` : ''} MB`, increment: h.totalBytes ? (100 * (h.bytes - before)) / h.totalBytes / 10 : undefined });
      });
      return hubToken(ctx.extension.secrets)
        .then((hfToken) => ctx.request(p.hubDownload, { repoId, token: hfToken, offline: setting('hub.offline', false), confirmed }, token))
        .finally(() => sub.dispose());
    });
  };
  try {
    try {
      return (await download(false)).dir;
    } catch (e) {
      // 1 GB or more: the engine states the size and waits for a yes before fetching anything.
      if (!(e instanceof ResponseError) || (e.data as p.EngineErrorData | undefined)?.code !== 'hub/needs-confirmation') throw e;
      const answer = await vscode.window.showWarningMessage(`${(e.data as p.EngineErrorData).message} Download it?`, { modal: true }, 'Download');
      if (answer !== 'Download') return undefined;
      return (await download(true)).dir;
    }
  } catch (e) {
    await ctx.showError(`Download ${repoId}`, e);
    return undefined;
  }
}

/** Folders that hold a model: config.json next to tokenizer.json and weights. */
async function filterModelFolders(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of [...new Set(dirs)].sort()) {
    const has = async (f: string) => vscode.workspace.fs.stat(vscode.Uri.file(path.join(d, f))).then(() => true, () => false);
    if ((await has('tokenizer.json')) && ((await has('model.safetensors')) || (await has('model.safetensors.index.json')))) out.push(d);
  }
  return out;
}

/** Builds (first time) or reuses the embedded default model in the extension's global storage. */
export async function ensureDefaultModel(ctx: Ctx): Promise<string | undefined> {
  const storageDir = ctx.extension.globalStorageUri.fsPath;
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'XLM: default model', cancellable: true }, (progress, token) => {
      let last = 0;
      const sub = ctx.notify(p.modelDefaultProgress, (x) => {
        progress.report({ message: x.message, increment: Math.max(0, 100 * x.fraction - last) });
        last = Math.max(last, 100 * x.fraction);
      });
      return ctx.request(p.modelEnsureDefault, { storageDir }, token).finally(() => sub.dispose());
    });
    ctx.output.info(result.reused ? `Default model reused from ${result.dir}` : `Default model built in ${result.seconds.toFixed(0)} s into ${result.dir}`);
    return result.dir;
  } catch (e) {
    await ctx.showError('Default model', e);
    return undefined;
  }
}
