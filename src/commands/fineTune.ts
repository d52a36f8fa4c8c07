/**
 * Fine-tune XLM on workspace data: quick picks for the data file, the task its columns suggest, the model, LoRA
 * or full, and key hyperparameters; then a progress notification with Cancel and a link to the dashboard.
 * Refused in an untrusted workspace (training runs code paths on files the workspace chose).
 */
import * as vscode from 'vscode';
import path from 'node:path';
import type { Ctx } from '../client/ctx.js';
import { activeModel, device, runFolder, setting } from '../client/config.js';
import { modelName, slotModel } from '../client/slots.js';
import { adviceInEditor, formatTimeLeft } from '../panels/messages.js';
import * as p from '../engine/rpc/protocol.js';
import { numberProblem } from '../client/numberInput.js';
import { DashboardPanel } from '../panels/dashboard.js';
import { inspectData, pickTrainingData } from './dataFiles.js';
import { offerModel, pickModel } from './selectModel.js';

/** Everything the picks ask for; a caller (a test, the walkthrough) may pass some of it to skip those picks. */
export type FineTuneOptions = Partial<Omit<p.TrainStartParams, 'runFolder'>> & { openDashboard?: boolean };

const TASKS: { task: p.TrainTask; label: string; detail: string }[] = [
  { task: 'sequence-classification', label: 'Text classification', detail: 'text → label (sentiment, topic, language)' },
  { task: 'pair-classification', label: 'Pair classification / NLI', detail: 'premise + hypothesis → label' },
  { task: 'token-classification', label: 'Token classification', detail: 'tokens → tags (NER, POS)' },
  { task: 'masked-lm', label: 'Masked-language-model adaptation', detail: 'plain text, no labels' },
  { task: 'question-answering', label: 'Question answering', detail: 'context + question → answer span (SQuAD JSON, HF JSON Lines)' },
  { task: 'translation', label: 'Translation', detail: 'source text → its translation (source<TAB>target, translation JSON Lines, two aligned files); trains a seq2seq model' },
];

/** run_qa.py's window length: question and a context window of 384 tokens (xlm.maxLength's 128 would cut most contexts to slivers). */
const QA_MAX_LENGTH = 384;

export function registerFineTune(ctx: Ctx): void {
  ctx.command('xlm.fineTune', 'Fine-tune XLM on workspace data', async (arg?: vscode.Uri | FineTuneOptions): Promise<p.TrainStartResult | undefined> => {
    if (!vscode.workspace.isTrusted) {
      const pick = await vscode.window.showWarningMessage('XLM Lab: training is off in an untrusted workspace.', 'Manage Workspace Trust');
      if (pick) await vscode.commands.executeCommand('workbench.trust.manage');
      return undefined;
    }
    const given: FineTuneOptions = arg instanceof vscode.Uri ? { data: arg.fsPath } : (arg ?? {});
    const params = await askParams(ctx, given);
    if (!params) return undefined;
    try {
      const started = await ctx.request(p.trainStart, params);
      ctx.runStarted(started.runId);
      ctx.output.info(`Training run ${started.runId} started in ${started.runDir}`);
      void followRun(ctx, started);
      if (given.openDashboard !== false) DashboardPanel.createOrShow(ctx, started.runDir);
      return started;
    } catch (e) {
      await ctx.showError('Fine-tune', e);
      return undefined;
    }
  });
}

async function askParams(ctx: Ctx, given: FineTuneOptions): Promise<p.TrainStartParams | undefined> {
  const title = 'Fine-tune XLM';
  // Five steps when no model is active (the model is a step of its own), else four; translation always picks its model.
  const active = given.model ?? activeModel();
  let steps = active ? 4 : 5;
  const picked = given.data ? { file: given.data, target: given.dataTarget } : await pickTrainingData(`${title} (1/${steps}): data`);
  if (!picked) return undefined;
  const data = picked.file;
  const inspected = given.task ? undefined : await inspectData(ctx, data, picked.target);
  if (inspected?.problems.length) ctx.output.warn(`${data}: ${inspected.problems.slice(0, 10).map((x) => `line ${x.line}: ${x.message}`).join('; ')}`);
  const suggested = given.task ?? inspected?.suggestedTask ?? 'sequence-classification';
  const task =
    given.task ??
    (
      await vscode.window.showQuickPick(
        TASKS.map((t) => ({ ...t, description: t.task === suggested ? 'suggested by the columns' : undefined, picked: t.task === suggested })).sort((a, b) => Number(b.task === suggested) - Number(a.task === suggested)),
        { title: `${title} (2/${steps}): task`, ignoreFocusOut: true, placeHolder: inspected ? `${inspected.rows} rows; columns ${inspected.columns.join(', ')}` : undefined },
      )
    )?.task;
  if (!task) return undefined;
  // The model to fine-tune; it serves no feature until the finished run offers it to one.
  if (task === 'translation' && !given.model) steps = 5;
  const model =
    given.model ??
    (task === 'translation' ? await pickTranslationModel(ctx, `${title} (3/${steps})`) : active || (await pickModel(ctx, undefined, `${title} (3/${steps}): model to fine-tune`)));
  if (!model) return undefined;
  // The method this model is best fine-tuned with comes first (full for a small model, LoRA for a base-sized one).
  const recommended = given.method ? undefined : (await ctx.request(p.trainDefaults, { model, task, method: 'lora', rows: inspected?.rows, evalData: given.evalData })).recommendedMethod;
  const methods = [
    { label: 'LoRA', method: 'lora' as const, detail: `trains small adapters on ${task === 'translation' ? 'the attention projections q_proj/v_proj; the saved model has them merged' : 'query/value'}: less memory, faster on a large model, a small output` },
    { label: 'Full fine-tuning', method: 'full' as const, detail: 'trains every weight: best accuracy, most memory' },
  ]
    .map((m) => (m.method === recommended ? { ...m, label: `${m.label} (recommended for this model)`, detail: `${m.detail}${m.method === 'full' ? '; this model is small, so it costs little more than LoRA' : ''}` } : m))
    .sort((a, b) => Number(b.method === recommended) - Number(a.method === recommended));
  const method =
    given.method ?? (await vscode.window.showQuickPick(methods, { title: `${title} (${steps - 1}/${steps}): method, to fine-tune ${modelName(model)}`, ignoreFocusOut: true }))?.method;
  if (!method) return undefined;
  // The defaults table the engine and `xlm train` share: values that learn for this task, method, model and data size.
  // The batch size asked for (xlm.batchSize, whose package.json default is the table's); the table's when none is.
  const asked = given.batchSize ?? setting<number | undefined>('batchSize', undefined);
  const defaults = await ctx.request(p.trainDefaults, { model, task, method, rows: inspected?.rows, evalData: given.evalData, ...(asked !== undefined ? { batchSize: asked } : {}) });
  ctx.output.info(`Fine-tune: ${defaults.why}`);
  const languages = task === 'translation' ? await pickLanguages(given, inspected, defaults.languages, title) : {};
  if (!languages) return undefined;
  let hyper = { epochs: given.epochs ?? defaults.epochs, batchSize: defaults.batchSize, learningRate: given.learningRate ?? defaults.learningRate };
  if (given.epochs === undefined && given.learningRate === undefined) {
    const choice = await vscode.window.showQuickPick(
      [
        // The label carries the values; the detail says what the table chose them for (startDetail).
        { label: `Start: ${hyper.epochs} epochs, batch ${hyper.batchSize}, learning rate ${hyper.learningRate}`, detail: startDetail(defaults), custom: false },
        { label: 'Customize…', custom: true },
      ],
      { title: `${title} (${steps}/${steps}): hyperparameters`, ignoreFocusOut: true },
    );
    if (!choice) return undefined;
    if (choice.custom) {
      // Each value in words when it is refused: what was typed, and what is expected (the limits train/start keeps).
      const ask = async (prompt: string, value: number, whole: boolean, max: number) => {
        const v = await vscode.window.showInputBox({
          title: `${title} (${steps}/${steps}): hyperparameters`, prompt, ignoreFocusOut: true, value: String(value),
          validateInput: (s) => numberProblem(s, prompt, whole, max),
        });
        return v === undefined ? undefined : Number(v.trim());
      };
      const epochs = await ask('Epochs', hyper.epochs, true, p.PARAM_LIMITS.epochs);
      const batchSize = epochs && (await ask('Batch size', hyper.batchSize, true, p.PARAM_LIMITS.batchSize));
      const learningRate = batchSize && (await ask('Learning rate', hyper.learningRate, false, 1));
      if (!epochs || !batchSize || !learningRate) return undefined;
      hyper = { epochs, batchSize, learningRate };
    }
  }
  // Only protocol params travel: the engine refuses keys train/start does not have (openDashboard is ours).
  const { openDashboard: _openDashboard, ...trainParams } = given;
  return { ...trainParams, model, data, ...(picked.target ? { dataTarget: picked.target } : {}), ...languages, task, method, ...hyper, maxLength: given.maxLength ?? (task === 'question-answering' ? QA_MAX_LENGTH : setting('maxLength', 128)), device: given.device ?? device(), runFolder: runFolder(), memoryLimitMB: given.memoryLimitMB ?? (setting('memoryLimitMB', 0) || undefined) };
}

/**
 * The seq2seq model a translation run starts from: the translation slot's model when it has weights to train
 * (config.json and model.safetensors beside its ONNX files), else a folder the user chooses (a Marian, M2M100 /
 * NLLB or MBart Hugging Face folder), or an encoder-decoder warm-started from the active XLM-R model.
 */
async function pickTranslationModel(ctx: Ctx, title: string): Promise<string | undefined> {
  const current = (await slotModel('translation', (dir) => ctx.capabilities(dir))).dir;
  const trainable = current && (await exists(path.join(current, 'model.safetensors'))) && (await exists(path.join(current, 'config.json')));
  const xlmr = activeModel();
  const items = [
    ...(trainable ? [{ label: `$(symbol-event) ${path.basename(current)}`, description: 'the translation model', detail: current, dir: current }] : []),
    ...(xlmr ? [{ label: `$(symbol-misc) Encoder-decoder from ${modelName(xlmr)}`, description: 'the XLM paper\'s route', detail: 'encoder and decoder both start from this XLM-R model (the decoder gains cross-attention, drawn at random); saved as transformers\' EncoderDecoderModel. Needs more data and steps than adapting a translator.', dir: xlmr }] : []),
    { label: '$(folder-opened) Choose a model folder…', detail: 'a Marian (opus-mt), M2M100 / NLLB or MBart Hugging Face folder: config.json, model.safetensors, tokenizer.json', dir: '' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: `${title}: model to start from`, ignoreFocusOut: true, placeHolder: 'A sequence-to-sequence model with weights (ONNX-only exports cannot be trained)' });
  if (!pick) return undefined;
  if (pick.dir) return pick.dir;
  const uri = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Start from this model' });
  return uri?.[0]?.fsPath;
}

async function exists(file: string): Promise<boolean> {
  return vscode.workspace.fs.stat(vscode.Uri.file(file)).then(() => true, () => false);
}

/**
 * The language pair of a translation run, for models with language tokens (M2M100 / NLLB: both sides; Marian's
 * >>xx<< tokens: the target): the one the data names when the model knows it, else a pick among the model's codes.
 * A model without language tokens (one fixed pair) gets none. Undefined when the user cancels.
 */
async function pickLanguages(
  given: FineTuneOptions,
  inspected: p.DataInspectResult | undefined,
  choice: p.TrainDefaultsResult['languages'],
  title: string,
): Promise<{ sourceLang?: string; targetLang?: string } | undefined> {
  if (given.sourceLang !== undefined || given.targetLang !== undefined || !choice || choice.takes === 'none') {
    return { ...(given.sourceLang ? { sourceLang: given.sourceLang } : {}), ...(given.targetLang ? { targetLang: given.targetLang } : {}) };
  }
  const known = (code: string | undefined) => (code !== undefined && choice.codes.includes(code) ? code : undefined);
  const ask = async (side: 'source' | 'target', suggested: string | undefined) =>
    (await vscode.window.showQuickPick(choice.codes.map((c) => ({ label: c, description: c === suggested ? 'named by the data' : undefined })), { title: `${title}: ${side} language`, ignoreFocusOut: true, placeHolder: `The language of the ${side} side (codes this model knows)` }))?.label;
  const targetLang = known(inspected?.targetLang) ?? (await ask('target', inspected?.targetLang));
  if (!targetLang) return undefined;
  if (choice.takes === 'target') return { targetLang };
  const sourceLang = known(inspected?.sourceLang) ?? (await ask('source', inspected?.sourceLang));
  return sourceLang ? { sourceLang, targetLang } : undefined;
}

/** A progress notification for the run until it ends (a started or a resumed one); Cancel stops the run. */
export function followRun(ctx: Ctx, run: p.TrainStartResult): Thenable<void> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `XLM training ${run.runId}`, cancellable: true },
    (progress, token) =>
      new Promise<void>((resolve) => {
        let last = 0;
        const subs: vscode.Disposable[] = [];
        const done = () => (subs.forEach((d) => d.dispose()), resolve());
        progress.report({ message: 'starting… [Open dashboard](command:xlm.openDashboard)' });
        subs.push(
          ctx.notify(p.trainProgress, (x) => {
            if (x.runId !== run.runId || !x.totalSteps) return;
            const pct = (100 * x.step) / x.totalSteps;
            progress.report({ increment: pct - last, message: `step ${x.step}/${x.totalSteps} · ${formatTimeLeft(x.etaSeconds)} · [Open dashboard](command:xlm.openDashboard)` });
            last = pct;
          }),
          ctx.notify(p.trainEnd, (end) => {
            if (end.runId !== run.runId) return;
            done();
            if (end.status === 'completed') void announceModel(ctx, end);
            if (end.status === 'failed') void ctx.showError(`Training run ${end.runId}`, new Error(end.error?.message ?? 'failed'));
          }),
          token.onCancellationRequested(() => void ctx.request(p.trainStop, { runId: run.runId }).catch((e: unknown) => ctx.showError('Stop training', e))),
        );
        ctx.inSession(new vscode.Disposable(done));
      }),
  );
}

/**
 * The finish notice. A run that learned offers to fill the slot its model fits ("Use for the hover label and
 * Classify selection"); a run that did not learn says why and what to try, and offers the dashboard, not the model.
 */
async function announceModel(ctx: Ctx, end: p.TrainEndParams): Promise<void> {
  const outputDir = end.outputDir;
  if (!outputDir) return;
  const where = vscode.workspace.asRelativePath(outputDir);
  if (end.verdict && !end.verdict.learned) {
    const pick = await vscode.window.showWarningMessage(
      `XLM Lab: training finished, but the model did not learn: ${end.verdict.reasons.join('; ')}. Try: ${adviceInEditor(end.verdict).join('; ')}.`,
      'Open dashboard',
      'Fine-tune again',
    );
    if (pick === 'Open dashboard') DashboardPanel.createOrShow(ctx, outputDir);
    if (pick === 'Fine-tune again') await vscode.commands.executeCommand('xlm.fineTune');
    return;
  }
  await offerModel(ctx, outputDir, `XLM Lab: training finished and the model learned${learnedFigures(end.verdict)}; it is in ${where}`, end.runId);
}

/** The figures behind "the model learned", so two runs' notices can be told apart: ": eval accuracy 89.7% (majority class 3.8%)". */
export function learnedFigures(verdict: p.TrainVerdict | undefined): string {
  if (!verdict) return '';
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  if (verdict.evalAccuracy !== undefined) return `: eval accuracy ${pct(verdict.evalAccuracy)}${verdict.majorityAccuracy === undefined ? '' : ` (majority class ${pct(verdict.majorityAccuracy)})`}`;
  if (verdict.evalF1 !== undefined) return `: eval F1 ${pct(verdict.evalF1)}${verdict.baselineF1 === undefined ? '' : ` (${verdict.baselineName ?? 'baseline'} ${pct(verdict.baselineF1)})`}`;
  if (verdict.finalLoss !== undefined && verdict.chanceLoss !== undefined) return `: final loss ${verdict.finalLoss.toFixed(3)} against ${verdict.chanceLoss.toFixed(3)} for guessing by label frequency`;
  return '';
}

/**
 * The Start item's detail, short enough for the quick pick's width ("Chosen for 702 training rows and a small model;
 * 10% warm-up"): the method and task are the wizard's earlier steps; the table's whole row is in the log. A detail that
 * named them all was cut, and its tooltip covered Customize… below it.
 */
function startDetail(defaults: Pick<p.TrainDefaultsResult, 'chosenFor' | 'warmupRatio'>): string {
  return `Chosen for ${defaults.chosenFor}; ${Math.round(100 * defaults.warmupRatio)}% warm-up`;
}
