/**
 * Select model: first the feature (fill-in, the classifier of the hover and Classify selection, NLI, translation,
 * entities, question answering) or every feature a model fits; then a model folder in the workspace (including
 * models trained here), one from the Hugging Face cache, a folder anywhere, or a Hub id to download. Only folders
 * that fit the feature are offered (their capabilities come from model/capabilities). A feature's choice goes to
 * its `xlm.models.<feature>` setting, "every feature" to `xlm.model`, both in the user's settings.
 */
import * as vscode from 'vscode';
import { hubToken } from '../client/hubToken.js';
import path from 'node:path';
import type { Ctx } from '../client/ctx.js';
import { runFolder, setActiveModel, setting, shippedModel } from '../client/config.js';
import { SLOTS, modelName, setSlotModel, slot, type Slot, type SlotId } from '../client/slots.js';
import * as p from '../engine/rpc/protocol.js';
import { ResponseError } from 'vscode-jsonrpc';

type ModelPick = vscode.QuickPickItem & { dir?: string; action?: 'browse' | 'hub' | 'default' | 'fineTune' };

/** Features whose model a fine-tuning run in the workspace can make (its finish notice offers to fill the slot). */
const TRAINABLE: readonly SlotId[] = ['classifier', 'nli', 'tokenClassification', 'questionAnswering'];
type SlotPick = vscode.QuickPickItem & { slot?: SlotId };

export function registerSelectModel(ctx: Ctx): void {
  ctx.command('xlm.selectModel', 'Select model', async (dirArg?: string, slotArg?: SlotId | 'all'): Promise<p.ModelInfo | undefined> => {
    const target = slotArg ?? (dirArg ? 'all' : await pickSlot(ctx));
    if (!target) return undefined;
    const dir = dirArg ?? (await pickModel(ctx, target === 'all' ? undefined : target));
    if (!dir) return undefined;
    if (target === 'all') await setActiveModel(dir);
    else await setSlotModel(target, dir);
    if (target === 'translation') {
      void vscode.window.showInformationMessage(`XLM Lab: ${modelName(dir)} now serves ${slot('translation').serves}.`);
      return undefined;
    }
    try {
      const caps = await ctx.capabilities(dir);
      const serves = SLOTS.filter((s) => caps && s.fits(caps));
      const first = target === 'all' ? serves[0]?.id : target;
      if (!first) throw new Error(`${modelName(dir)} has nothing XLM Lab can use: ${caps?.problem ?? 'no masked-LM, classification or token-classification head'}.`);
      const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `XLM: loading ${modelName(dir)}`, cancellable: true }, (_p, token) => ctx.ensureModel(first, token));
      const what = target === 'all' ? serves.map((s) => s.serves).join('; ') : slot(target).serves;
      void vscode.window.showInformationMessage(`XLM Lab: ${modelName(dir)} (${info.layers} layers, ${info.device}) now serves ${what}.`);
      await ctx.refreshSlots();
      return info;
    } catch (e) {
      await ctx.showError(`Load ${dir}`, e);
      return undefined;
    }
  });
}

/** Which feature the model is for; each item names the model serving it now. */
async function pickSlot(ctx: Ctx): Promise<SlotId | 'all' | undefined> {
  await ctx.refreshSlots();
  const items: SlotPick[] = [
    ...SLOTS.map((s) => ({ label: s.label, description: ctx.slotModels.get(s.id)?.name ?? 'none', detail: `for ${s.serves}`, slot: s.id })),
    { label: '', kind: vscode.QuickPickItemKind.Separator },
    { label: 'Every feature it fits', detail: 'setting xlm.model: the model serves each feature it can, where that feature has no model of its own' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Select model: for which feature?', matchOnDetail: true });
  return pick ? (pick.slot ?? 'all') : undefined;
}

/** A model folder for a feature (or for every feature it fits); `title` replaces the picker's own (the fine-tune wizard numbers its steps). */
export async function pickModel(ctx: Ctx, target: SlotId | undefined, title?: string): Promise<string | undefined> {
  const s = target && slot(target);
  const shipped = shippedModel();
  const defaultFits = !s || (shipped ? s.fits((await ctx.capabilities(shipped)) ?? { capabilities: [] }) : s.id === 'fillMask');
  const items: ModelPick[] = [
    ...(defaultFits ? [{ label: '$(star) Embedded default model', action: 'default' as const, detail: shipped ? 'XLM-R pre-trained by XLM Lab on 182 languages; ships with the extension' : 'XLM-R pre-trained by XLM Lab on the UDHR in many languages; built on this machine the first time (minutes), then reused' }] : []),
    { label: '$(folder-opened) Browse for a model folder…', action: 'browse' },
    { label: '$(cloud-download) Download from the Hugging Face Hub…', action: 'hub', description: setting('hub.offline', false) ? 'offline mode is on' : undefined },
    // Not inside the wizard itself (it passes its title): there the model is what a run starts from.
    ...(s && title === undefined && TRAINABLE.includes(s.id) ? [{ label: '$(mortar-board) Fine-tune one on workspace data…', action: 'fineTune' as const, detail: 'the run\'s finish notice offers the model for this feature' }] : []),
  ];
  const runs = runFolder();
  const configs = await vscode.workspace.findFiles('**/config.json', '**/{node_modules,.git}/**', 200);
  const folders = configs.map((u) => path.dirname(u.fsPath));
  const workspaceModels = await fitting(ctx, await filterModelFolders(folders), s);
  const trained = workspaceModels.filter((d) => d.startsWith(runs + path.sep));
  const others = workspaceModels.filter((d) => !trained.includes(d));
  if (trained.length) items.push({ label: 'Trained in this workspace', kind: vscode.QuickPickItemKind.Separator }, ...trained.map((d) => ({ label: `$(mortar-board) ${path.relative(runs, d)}`, description: d, dir: d })));
  if (others.length) items.push({ label: 'Workspace', kind: vscode.QuickPickItemKind.Separator }, ...others.map((d) => ({ label: `$(folder) ${vscode.workspace.asRelativePath(d)}`, description: d, dir: d })));
  try {
    const listed = await ctx.request(p.hubList);
    const fits = new Set(await fitting(ctx, listed.map((m) => m.dir), s));
    const cached = listed.filter((m) => fits.has(m.dir));
    if (cached.length) items.push({ label: 'Hugging Face cache', kind: vscode.QuickPickItemKind.Separator }, ...cached.map((m) => ({ label: `$(package) ${m.repoId}`, description: `${m.revision.slice(0, 8)} ${m.modelType ?? ''}`, dir: m.dir })));
  } catch (e) {
    ctx.output.info(`Hugging Face cache not listed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const pick = await vscode.window.showQuickPick(items, {
    title: title ?? (s ? `Select a model for ${s.serves}` : 'Select a model for every feature it fits'),
    // Short enough for the input box: what the slot needs is the item's detail when nothing fits.
    placeHolder: s ? `Models with ${s.needs}` : 'A Hugging Face model folder of the XLM-R family',
    matchOnDescription: true,
    // A step of a wizard (it passes its title) stays open when focus moves, as the wizard's other steps do.
    ignoreFocusOut: title !== undefined,
  });
  if (!pick) return undefined;
  if (pick.dir) return pick.dir;
  if (pick.action === 'default') return shipped || ensureDefaultModel(ctx);
  if (pick.action === 'fineTune') {
    void vscode.commands.executeCommand('xlm.fineTune');
    return undefined;
  }
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

/** The folders that can serve a slot (all of them for "every feature"), by the engine's reading of each. */
async function fitting(ctx: Ctx, dirs: string[], s: Slot | undefined): Promise<string[]> {
  if (!s || !dirs.length) return dirs;
  try {
    const caps = await ctx.request(p.modelCapabilities, { dirs });
    return caps.filter((c) => s.fits(c)).map((c) => c.dir);
  } catch (e) {
    ctx.output.warn(`Could not read what the models can serve; listing them all: ${e instanceof Error ? e.message : String(e)}`);
    return dirs;
  }
}

/** Folders that hold a model: config.json next to tokenizer.json and weights, or a translation model's ONNX files. */
async function filterModelFolders(dirs: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const d of [...new Set(dirs)].sort()) {
    const has = async (f: string) => vscode.workspace.fs.stat(vscode.Uri.file(path.join(d, f))).then(() => true, () => false);
    if ((await has('tokenizer.json')) && ((await has('model.safetensors')) || (await has('model.safetensors.index.json')) || (await has('onnx/encoder_model.onnx')) || (await has('encoder_model.onnx')))) out.push(d);
  }
  return out;
}

/** Builds (first time) or reuses the embedded default model in the extension's global storage. */
export async function ensureDefaultModel(ctx: Ctx): Promise<string | undefined> {
  const storageDir = ctx.extension.globalStorageUri.fsPath;
  try {
    ctx.output.info(`Preparing the default model in ${storageDir} (the first time takes minutes; progress follows here)…`);
    ctx.setDefaultBuild({ phase: 'corpus', message: 'starting', fraction: 0 });
    const result = await Promise.resolve(vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'XLM: preparing the default model', cancellable: true }, (progress, token) => {
      let last = 0;
      let phase = '';
      const sub = ctx.notify(p.modelDefaultProgress, (x) => {
        progress.report({ message: x.message, increment: Math.max(0, 100 * x.fraction - last) });
        last = Math.max(last, 100 * x.fraction);
        ctx.setDefaultBuild(x);
        // Every phase change, and during a phase one line per half minute, so a long build is never silent in the log.
        if (x.phase !== phase) ctx.output.info(`Default model: ${x.phase}: ${x.message}`);
        else ctx.logEvery('default model', `Default model: ${x.phase}: ${x.message} (${Math.round(100 * x.fraction)}%)`);
        phase = x.phase;
      });
      return ctx.request(p.modelEnsureDefault, { storageDir }, token).finally(() => sub.dispose());
    })).finally(() => ctx.setDefaultBuild(undefined));
    ctx.output.info(result.reused ? `Default model reused from ${result.dir}` : `Default model built in ${result.seconds.toFixed(0)} s into ${result.dir}`);
    return result.dir;
  } catch (e) {
    await ctx.showError('Default model', e);
    return undefined;
  }
}

/**
 * "Use for <feature>": a notice that offers a model folder (a finished run, an imported one) to each feature it
 * fits; the pick fills that feature's slot. A folder that fits none says why. A finished run's notice is kept under
 * its run id (the extension's API lists them for the tests).
 */
export async function offerModel(ctx: Ctx, dir: string, lead: string, runId?: string): Promise<void> {
  const caps = await ctx.capabilities(dir);
  const fits = SLOTS.filter((s) => caps && s.fits(caps));
  if (!fits.length) {
    void vscode.window.showWarningMessage(`${lead}; its model cannot serve any feature: ${caps?.problem ?? 'it has no masked-LM, classification, token-classification or question-answering head'}.`);
    return;
  }
  if (fits.length > MAX_NOTICE_BUTTONS) {
    // A notice cuts long buttons off past two or so: one button, then a list of the features to use it for.
    const message = `${lead}. It can serve ${fits.map((s) => s.label).join(', ')}.`;
    const choose = 'Use for…';
    if (runId !== undefined) ctx.finishNotices.push({ runId, message, actions: [choose] });
    if ((await vscode.window.showInformationMessage(message, choose)) !== choose) return;
    const picks = await vscode.window.showQuickPick(
      fits.map((s) => ({ label: s.label, detail: `Use it for ${s.serves}`, slot: s.id })),
      { canPickMany: true, title: `Use ${vscode.workspace.asRelativePath(dir)} for`, placeHolder: 'Pick the features this model should serve' },
    );
    for (const pick of picks ?? []) await vscode.commands.executeCommand('xlm.selectModel', dir, pick.slot);
    return;
  }
  const offers = fits.map((s) => ({ title: `Use for ${s.serves}`, slot: s.id }));
  if (runId !== undefined) ctx.finishNotices.push({ runId, message: `${lead}.`, actions: offers.map((o) => o.title) });
  const pick = await vscode.window.showInformationMessage(`${lead}.`, ...offers);
  if (pick) await vscode.commands.executeCommand('xlm.selectModel', dir, pick.slot);
}

/** More "Use for …" buttons than this do not fit in a notice (VS Code cuts them off). */
const MAX_NOTICE_BUTTONS = 2;
