// The user-facing features through the vscode API: the dashboard rebuilt from a run folder's metrics.jsonl and fed
// live runs, the panels, the hover, and the requests the commands send.
import * as vscode from 'vscode';
import assert from 'node:assert/strict';
import path from 'node:path';
import { dashboardRead, test, waitFor } from './harness.js';
import type { XlmLabApi } from '../../../src/extension.js';
import type { EvalRunResult, FillMaskResult, LabelScore, NliResult } from '../../../src/engine/rpc/protocol.js';

const api = async () => vscode.extensions.getExtension<XlmLabApi>('xlm-lab.xlm-lab')!.activate();
const folder = () => vscode.workspace.workspaceFolders![0]!.uri;

/** Starts a LoRA run of the tiny model on the workspace's sentiment data (one epoch, no dashboard unless asked). */
function fineTuneTiny(over: { epochs?: number; openDashboard?: boolean } = {}) {
  return vscode.commands.executeCommand<{ runId: string; runDir: string } | undefined>('xlm.fineTune', {
    data: path.join(folder().fsPath, 'sentiment.jsonl'),
    model: path.join(folder().fsPath, 'models', 'tiny'),
    task: 'sequence-classification',
    method: 'lora',
    epochs: 1,
    batchSize: 4,
    learningRate: 1e-3,
    openDashboard: false,
    ...over,
  });
}

test('Open training dashboard creates the panel and sends it the runs found in metrics.jsonl', async () => {
  const xlm = await api();
  await vscode.commands.executeCommand('xlm.openDashboard');
  const tab = await waitFor('the dashboard tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'XLM Training'));
  assert.ok(tab.input instanceof vscode.TabInputWebview);
  assert.match((tab.input as vscode.TabInputWebview).viewType, /xlm\.dashboard$/);
  // The panel script says 'ready' once loaded; the extension answers with the runs and the selected run's records.
  const posted = await dashboardRead(xlm);
  const heard = xlm.dashboardView()!.received.length;
  assert.ok(posted.indexOf('runs') < posted.indexOf('runData'));
  // A line the engine did not announce (this run is not training) is not polled for: the dashboard sends nothing
  // (the old poll read the file every second); reopening the run reads the file again.
  const run = vscode.Uri.joinPath(folder(), 'runs', 'demo-run');
  const metrics = vscode.Uri.joinPath(run, 'metrics.jsonl');
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(metrics));
  await vscode.workspace.fs.writeFile(metrics, new TextEncoder().encode(text + JSON.stringify({ step: 99, epoch: 3, loss: 0.1 }) + '\n'));
  try {
    await new Promise((r) => setTimeout(r, 2500));
    // A page that loads late still says 'ready' and is answered with the runs read again; nothing else is sent.
    const readies = xlm.dashboardView()!.received.slice(heard).filter((t) => t === 'ready').length;
    assert.deepEqual(xlm.dashboardMessages()!.slice(posted.length), Array.from({ length: readies }, () => ['runs', 'runData']).flat(), 'nothing sent for a line no notification announced');
    await vscode.commands.executeCommand('xlm.openDashboard', run.fsPath);
    await waitFor('the run read again', () => xlm.dashboardMessages()!.slice(posted.length).includes('runData'));
  } finally {
    await vscode.workspace.fs.writeFile(metrics, new TextEncoder().encode(text));
  }
  await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
});

/** The hover's text, asked again while it says the workspace's data is still being read (the first hover does not wait for it). */
async function settledHover(uri: vscode.Uri, position: vscode.Position): Promise<string> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, position);
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    if (!text.includes("Reading the workspace's data") || Date.now() > deadline) return text;
    await new Promise((r) => setTimeout(r, 300));
  }
}

test('with xlm.model empty the shipped default model is active: the hover names the language, fill-mask answers', async () => {
  await vscode.workspace.getConfiguration('xlm').update('model', '', vscode.ConfigurationTarget.Global);
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
  const editor = await vscode.window.showTextDocument(doc);
  const xlm = await api();
  const before = xlm.requestLog().length;
  // Line 2 is German: the default model has no classifier, so the hover shows its language-identification head's answer.
  // The first hover starts reading the workspace's data and waits for it only a second; asked again, it has it.
  const text = await settledHover(doc.uri, new vscode.Position(1, 6));
  const german = /\$\(symbol-text\) \*\*German\*\* (\d+)\\?\.(\d)%( \(unsure\))?/.exec(text);
  assert.ok(german, text);
  // Under 50% the language is marked unsure, as xlm language-id marks it.
  assert.equal(german[3] !== undefined, Number(`${german[1]}.${german[2]}`) < 50, german[0]);
  assert.doesNotMatch(text, /unavailable/);
  // No workspace sentence reaches the translation threshold: the hover says so and shows the nearest sentence of
  // another language, marked as one that may not be a translation; German rows are never offered for a German sentence.
  assert.doesNotMatch(text, /possible translation|`de`/, text);
  assert.match(text, /No workspace sentence reaches the translation threshold\* \(margin over their nearest sentences at least \d\.\d\d and similarity at least \d\.\d\d\)\. Nearest in another language, which may not be a translation:/, text);
  assert.equal(text.split('\n').filter((l) => l.startsWith('- ')).length, 1, `one nearest sentence:\n${text}`);
  // Line 4 is article 1 of the UDHR in English; declaration.jsonl has it in German, French and Spanish. The shipped
  // threshold's cosine floor is the one for 90% precision with every verse a candidate, which these translations do
  // not reach with this model: whatever is listed must be one of them, and no short sentence passes for one.
  const shown = await settledHover(doc.uri, new vscode.Position(3, 10));
  // Whatever is listed, as a possible translation or as the nearest below the threshold, is one of them.
  const rows = shown.split('\n').filter((l) => l.startsWith('- '));
  assert.ok(rows.length >= 1, `a possible translation or the nearest sentence:\n${shown}`);
  assert.ok(rows.every((l) => /Tous les êtres humains|Alle Menschen|Todos los seres humanos/.test(l)), `only translations of the article:\n${shown}`);
  assert.ok(rows.every((l) => !/déteste|hasse|Wetter|maison|sommes/.test(l)), `no short sentence passes for a translation of the article:\n${shown}`);
  const sent = xlm.requestLog().slice(before);
  assert.ok(sent.includes('model/load') && sent.includes('languageId'), `requests: ${sent.join(', ')}`);
  // A sentence under 20 letters gets no language (the head, fitted on declarations and verses, called "How are you?" Chinese).
  const short = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'How are you?' });
  const shortText = await settledHover(short.uri, new vscode.Position(0, 4));
  assert.match(shortText, /\$\(symbol-text\) \*Too short for the model to name its language\.\*/, shortText);
  assert.doesNotMatch(shortText, /\$\(symbol-text\) \*\*/, 'no language named');
  assert.ok(sent.includes('sentences/index') && sent.includes('sentences/similar'), 'the engine indexed and searched the workspace sentences');
  assert.ok(!xlm.requestLog().slice(before).includes('classify'), 'no classify request to a model without a classifier');
  // The masked-word panel on "Paris is the <mask> of France." asks the same model, with no picker.
  editor.selection = new vscode.Selection(2, 14, 2, 14);
  const result = await vscode.commands.executeCommand<FillMaskResult | undefined>('xlm.openMaskPanel');
  assert.equal(result?.masks[0]?.candidates.length, 5, 'the panel got five candidates');
  assert.ok(xlm.maskPanelOpen());
  // The completion list at the mask: the ghost text's word first and preselected, then the others in the order the
  // engine gives (test/tasks/fill-mask-word-start.test.ts checks that order).
  const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, new vscode.Position(2, 19));
  const ours = list.items.filter((i) => i.detail?.startsWith('XLM fill-in')).sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? ''));
  const mask = result!.masks[0]!;
  assert.deepEqual(ours.map((i) => (typeof i.label === 'string' ? i.label : i.label.label)), [mask.offer.text, ...mask.listed.map((j) => mask.candidates[j]!.text)]);
  assert.equal(ours[0]!.preselect, true);
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
});

test('the hover stays off in languages that are not listed', async () => {
  const doc = await vscode.workspace.openTextDocument({ language: 'javascript', content: 'const s = "The weather is lovely today.";' });
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 15));
  const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  assert.doesNotMatch(text, /XLM Lab/);
});

test('Fine-tune with given options starts a run in the workspace run folder that writes metrics.jsonl', async () => {
  const xlm = await api();
  const before = xlm.requestLog().length;
  const started = await fineTuneTiny();
  assert.ok(started, 'xlm.fineTune returned no run');
  assert.ok(xlm.requestLog().slice(before).includes('train/start'));
  assert.equal(path.dirname(started.runDir), path.join(folder().fsPath, 'runs'));
  const metrics = path.join(started.runDir, 'metrics.jsonl');
  const lines = await waitFor('three step lines in metrics.jsonl', async () => {
    const text = await vscode.workspace.fs.readFile(vscode.Uri.file(metrics)).then((b) => new TextDecoder().decode(b), () => '');
    const steps = text.split('\n').filter((l) => l.includes('"loss"'));
    return steps.length >= 3 ? steps : undefined;
  }, 60_000);
  assert.ok(lines.every((l) => Number.isFinite(JSON.parse(l).loss)));
}, 90_000);

test('with the tiny model active, the masked-word panel shows the top-k for the <mask> at the cursor', async () => {
  const model = path.join(folder().fsPath, 'models', 'tiny');
  await vscode.workspace.getConfiguration('xlm').update('model', model, vscode.ConfigurationTarget.Global);
  const xlm = await api();
  const before = xlm.requestLog().length;
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
  const editor = await vscode.window.showTextDocument(doc);
  editor.selection = new vscode.Selection(2, 14, 2, 14);
  const result = await vscode.commands.executeCommand<FillMaskResult | undefined>('xlm.openMaskPanel');
  assert.ok(result, 'the panel got no prediction');
  assert.equal(result.masks.length, 1);
  assert.equal(result.masks[0]!.candidates.length, 5);
  const scores = result.masks[0]!.candidates.map((c) => c.score);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a));
  assert.ok(!result.filled.includes('<mask>'));
  const sent = xlm.requestLog().slice(before);
  assert.ok(sent.indexOf('model/load') >= 0 && sent.indexOf('model/load') < sent.indexOf('fillMask'), `requests: ${sent.join(', ')}`);
  assert.ok(xlm.maskPanelOpen());
  await waitFor('a "Masked words" tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Masked words'), 5000);
});

test('Classify selection answers with the model\'s labels and probabilities', async () => {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
  const editor = await vscode.window.showTextDocument(doc);
  editor.selection = new vscode.Selection(0, 0, 0, 28);
  const labels = await vscode.commands.executeCommand<LabelScore[] | undefined>('xlm.classifySelection');
  assert.ok(labels);
  assert.deepEqual(labels.map((l) => l.label).sort(), ['negative', 'positive']);
  assert.ok(Math.abs(labels[0]!.score + labels[1]!.score - 1) < 1e-4);
  assert.ok(labels[0]!.score >= labels[1]!.score);
});

test('the hover on a sentence shows the active model\'s label with its probability', async () => {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
  await vscode.window.showTextDocument(doc);
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(0, 8));
  const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
  assert.match(text, /\*\*XLM Lab\*\*/);
  assert.match(text, /\$\(tag\) \*\*(negative|positive)\*\* \d+\\?\.\d%/);
  // No translation model is set, and this model has no calibrated translation threshold: no workspace sentence is
  // offered (the hover once listed the closest ones at any similarity).
  assert.doesNotMatch(text, /translation|similarity/);
});

test('Check entailment with an NLI model fills the NLI panel and answers three probabilities', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  await config.update('model', path.join(folder().fsPath, 'models', 'tiny-nli'), vscode.ConfigurationTarget.Global);
  try {
    const scores = await vscode.commands.executeCommand<NliResult | undefined>('xlm.checkEntailment', 'A man plays guitar.', 'Someone makes music.');
    assert.ok(scores, 'no NLI scores');
    assert.ok(Math.abs(scores.entailment + scores.neutral + scores.contradiction - 1) < 1e-4);
    await waitFor('an "Entailment" tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label === 'Entailment'), 5000);
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
  }
});

test('Evaluate model on a file answers accuracy overall and per language for the workspace data', async () => {
  await vscode.workspace.getConfiguration('xlm').update('model', path.join(folder().fsPath, 'models', 'tiny'), vscode.ConfigurationTarget.Global);
  const result = await vscode.commands.executeCommand<EvalRunResult | undefined>('xlm.evaluate', vscode.Uri.joinPath(folder(), 'sentiment.jsonl'));
  assert.ok(result, 'no evaluation result');
  assert.equal(result.examples, 12);
  assert.ok(result.metrics.accuracy! >= 0 && result.metrics.accuracy! <= 1, JSON.stringify(result.metrics));
  assert.deepEqual(Object.keys(result.perLanguage ?? {}).sort(), ['de', 'en', 'fr']);
});

test('with the dashboard open, a run started from VS Code is drawn as it trains, from its train/metrics notifications', async () => {
  const xlm = await api();
  // Long enough to still be training once the dashboard has loaded, even on a loaded machine (3,000 epochs, ~30 s,
  // once ended before the webview was ready; 10,000 is train/start's most); stopped below.
  const started = await fineTuneTiny({ epochs: 10000, openDashboard: true });
  assert.ok(started);
  try {
    // The panel reads the run's file when its script is ready; the records after that arrive as notifications.
    await dashboardRead(xlm);
    const shown = xlm.dashboardView()?.shown.map((r) => r.id);
    assert.deepEqual(shown, [path.basename(started.runDir)], 'the dashboard shows the run just started');
    await waitFor('records appended after the run was read', () => {
      const m = xlm.dashboardMessages() ?? [];
      return m.lastIndexOf('append') > m.indexOf('runData');
    }, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; posted: ${(xlm.dashboardMessages() ?? []).join(',')}; training: ${JSON.stringify(xlm.engineState().health)}`);
    });
  } finally {
    await vscode.commands.executeCommand('xlm.stopTraining', started.runId);
    await waitFor('the run to stop', () => xlm.engineState().health.kind !== 'training', 30_000);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  }
}, 120_000);

test('the xlm.memoryLimitMB setting is sent with train/start (whose refusal of a run above it test/rpc/training.test.ts checks)', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  await config.update('memoryLimitMB', 1, vscode.ConfigurationTarget.Global);
  try {
    const started = await fineTuneTiny();
    assert.ok(started);
    // run.json records the request as the engine received it.
    const asked = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(path.join(started.runDir, 'run.json')))));
    assert.equal(asked.memoryLimitMB, 1);
  } finally {
    await config.update('memoryLimitMB', undefined, vscode.ConfigurationTarget.Global);
  }
});

test('while a run trains the status item shows training with its percentage, and Stop training ends it', async () => {
  const xlm = await api();
  // The tiny model trains ~300 steps/s: long enough to be seen training, then stopped.
  const started = await fineTuneTiny({ epochs: 3000 });
  assert.ok(started);
  const seen = new Set<string>();
  const training = await waitFor('the training health', () => {
    const h = xlm.engineState().health;
    seen.add(JSON.stringify(h));
    return h.kind === 'training' && h.percent > 0 ? h : undefined;
  }, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; health seen: ${[...seen].join(' | ')}`);
  });
  assert.equal(training.kind === 'training' && training.runId, started.runId);
  const stopped = await vscode.commands.executeCommand<string[]>('xlm.stopTraining', started.runId);
  assert.deepEqual(stopped, [started.runId]);
  await waitFor('the health to leave training', () => xlm.engineState().health.kind !== 'training', 30_000);
}, 120_000);

test('a token in the old xlm.hub.token setting moves to SecretStorage and leaves settings; set and clear commands work', async () => {
  const xlm = await api();
  const config = () => vscode.workspace.getConfiguration('xlm');
  await vscode.commands.executeCommand('xlm.clearHubToken');
  assert.equal(await xlm.hubTokenSaved(), false);
  await config().update('hub.token', 'hf_from_settings', vscode.ConfigurationTarget.Global);
  await waitFor('the token setting removed', () => config().inspect<string>('hub.token')?.globalValue === undefined);
  assert.equal(await xlm.hubTokenSaved(), true, 'the token is in SecretStorage');
  await vscode.commands.executeCommand('xlm.clearHubToken');
  assert.equal(await xlm.hubTokenSaved(), false);
  assert.equal(await vscode.commands.executeCommand('xlm.setHubToken', 'hf_typed'), true);
  assert.equal(await xlm.hubTokenSaved(), true);
  await vscode.commands.executeCommand('xlm.clearHubToken');
});

test('each feature takes the model that fits it: a pair classifier as xlm.model labels no single sentence, fill-in stays on the default model', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  await config.update('model', path.join(folder().fsPath, 'models', 'tiny-pair'), vscode.ConfigurationTarget.Global);
  try {
    const xlm = await api();
    const slots = await xlm.slotModels();
    assert.deepEqual({ fillMask: slots.fillMask, classifier: slots.classifier, nli: slots.nli }, {
      fillMask: { name: 'the default model', source: 'default' },
      classifier: { name: 'none', source: 'none' },
      nli: { name: 'none', source: 'none' },
    });
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(1, 6));
    const text = hovers.flatMap((h) => h.contents.map((c) => (typeof c === 'string' ? c : c.value))).join('\n');
    assert.doesNotMatch(text, /translation\*\* \d/, 'no pair label on a single sentence');
    assert.match(text, /\$\(symbol-text\) \*\*German\*\*/, 'the language, from the default model');
    editor.selection = new vscode.Selection(2, 14, 2, 14);
    const filled = await vscode.commands.executeCommand<FillMaskResult | undefined>('xlm.openMaskPanel');
    assert.equal(filled?.masks[0]?.candidates.length, 5, 'fill-in runs on the default model');
    editor.selection = new vscode.Selection(0, 0, 0, 28);
    // Not awaited: the command's error notification waits for the user to dismiss it.
    void vscode.commands.executeCommand('xlm.classifySelection');
    const why = await waitFor('the problem noted', () => xlm.problems().find((p) => p.includes('Classify selection')));
    assert.match(why, /^tiny-pair cannot serve the hover label and Classify selection: it has no classifier of single texts\. Pick a model that has one with "XLM: Select model" → Classifier\.$/);
    assert.equal(xlm.engineState().health.kind, 'ready');
  } finally {
    await config.update('model', path.join(folder().fsPath, 'models', 'tiny'), vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});

test('Select model for one feature writes its own setting; the classifier serves Classify selection while xlm.model is empty', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  await config.update('model', '', vscode.ConfigurationTarget.Global);
  try {
    const info = await vscode.commands.executeCommand<{ dir: string } | undefined>('xlm.selectModel', path.join(folder().fsPath, 'models', 'tiny'), 'classifier');
    assert.ok(info, 'the model loaded');
    assert.equal(vscode.workspace.getConfiguration('xlm').get('models.classifier'), path.join(folder().fsPath, 'models', 'tiny'));
    const xlm = await api();
    const slots = await xlm.slotModels();
    assert.deepEqual([slots.classifier, slots.fillMask], [{ name: 'tiny', source: 'setting' }, { name: 'the default model', source: 'default' }]);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 0, 0, 28);
    const labels = await vscode.commands.executeCommand<LabelScore[] | undefined>('xlm.classifySelection');
    assert.deepEqual(labels?.map((l) => l.label).sort(), ['negative', 'positive']);
    // The NLI panel with no NLI model says what it needs, in words.
    const scores = await vscode.commands.executeCommand<NliResult | undefined>('xlm.checkEntailment', 'A man plays guitar.', 'Someone makes music.');
    assert.equal(scores, undefined);
    const said = await waitFor('the NLI panel told why', () => xlm.nliPanelMessages()?.find((m) => m.type === 'message'));
    assert.match((said as { text: string }).text, /No model for the NLI panel and zero-shot labels: .*it needs a pair classifier whose labels are entailment, neutral and contradiction/);
    assert.equal((said as { selectModel?: boolean }).selectModel, true, 'the panel offers the picker for the NLI feature');
    // Asked with one selection, the command would ask for the hypothesis: without an NLI model it says why first and
    // asks for nothing (an input box left open would keep the command from answering).
    const before = xlm.nliPanelMessages()!.length;
    assert.equal(await vscode.commands.executeCommand('xlm.checkEntailment'), undefined);
    await waitFor('the panel said why again', () => xlm.nliPanelMessages()!.slice(before).some((m) => m.type === 'message' && /No model for the NLI panel/.test((m as { text: string }).text)));
    // The status item's warning lasts while the panel is open, not for the rest of the session.
    assert.ok(xlm.problems().some((p) => p.startsWith('No model for the NLI panel')), xlm.problems().join(' | '));
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the NLI warning gone with its panel', () => !xlm.problems().some((p) => p.startsWith('No model for the NLI panel')));
  } finally {
    await config.update('models.classifier', undefined, vscode.ConfigurationTarget.Global);
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});

test('Ask a question about this file selects the best answer span of the selection (offsets from its start) or the whole file, emoji before it included, and its panel lists the spans; a click selects one', async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  type Answer = { answer: string; score: number; start: number; end: number; sentenceStart: number; sentenceEnd: number; sentence: string };
  try {
    // The tiny model has every head, a question-answering one included: it serves the slot through xlm.model.
    await config.update('model', path.join(folder().fsPath, 'models', 'tiny'), vscode.ConfigurationTarget.Global);
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    const editor = await vscode.window.showTextDocument(doc);
    const line = doc.lineAt(1).range;
    editor.selection = new vscode.Selection(line.start, line.end);
    const answers = await vscode.commands.executeCommand<Answer[] | undefined>('xlm.askQuestion', 'Wie ist das Wetter?');
    assert.ok(answers && answers.length > 0, 'answers came back');
    const best = answers[0]!;
    assert.ok(best.start >= doc.offsetAt(line.start) && best.end <= doc.offsetAt(line.end), `the answer lies in the selected line: ${best.start}-${best.end}`);
    assert.deepEqual([doc.offsetAt(editor.selection.start), doc.offsetAt(editor.selection.end)], [best.start, best.end], 'the best answer is selected');
    assert.equal(doc.getText(editor.selection), best.answer, 'the selection holds the answer text');
    assert.ok(best.answer.trim().length > 0);
    for (let i = 1; i < answers.length; i++) assert.ok(answers[i - 1]!.score >= answers[i]!.score, 'best first');
    for (const a of answers) assert.ok(a.sentence.includes(a.answer.trim()), `the sentence "${a.sentence}" holds "${a.answer}"`);
    await waitFor('an "Answers" tab', () => vscode.window.tabGroups.all.flatMap((g) => g.tabs).find((t) => t.label.startsWith('Answers: Wie ist das Wetter')), 5000);

    // A Markdown document with characters outside the Basic Multilingual Plane before the answers: UTF-16 offsets.
    const md = await vscode.workspace.openTextDocument({ language: 'markdown', content: '# 😀 Notes 𠀀\n\n😀😀 Marie Curie won the prize in 1903. 𠀀 She lived in Paris.\n' });
    const mdEditor = await vscode.window.showTextDocument(md);
    mdEditor.selection = new vscode.Selection(0, 0, 0, 0);
    const mdAnswers = await vscode.commands.executeCommand<Answer[] | undefined>('xlm.askQuestion', 'Where did she live?');
    const mdBest = mdAnswers?.[0];
    assert.ok(mdBest, 'an answer from the whole document');
    assert.equal(md.getText(mdEditor.selection), mdBest.answer, 'the selected text is the answer, emoji before it counted in UTF-16');
    assert.equal(md.getText().slice(mdBest.sentenceStart, mdBest.sentenceEnd).replace(/\s+/g, ' ').trim(), mdBest.sentence);

    // The answers panel lists every span, best first: its rank, text, probability and its sentence with the span marked.
    const xlmApi = await api();
    const listed = await waitFor('the panel got the Markdown answers', () => [...(xlmApi.answersPanel()?.messages ?? [])].reverse().find((m) => m.type === 'answers' && m.answers.question === 'Where did she live?'));
    assert.ok(listed.type === 'answers');
    assert.equal(listed.answers.uri, md.uri.toString());
    assert.equal(listed.answers.fromSelection, false);
    assert.deepEqual(listed.answers.answers.map((a) => [a.answer, a.score, a.start, a.end]), mdAnswers!.map((a) => [a.answer, a.score, a.start, a.end]));
    for (const a of listed.answers.answers) assert.equal(md.getText().slice(a.start - a.before.length, a.end + a.after.length), a.before + a.answer + a.after, 'before + answer + after is the sentence in the document');
    const oneLine = (t: string) => t.replace(/\s+/g, ' ');
    const rows = await waitFor('the page drew one row per answer', () => {
      const drawn = xlmApi.answersPanel()?.rows;
      return drawn?.length === mdAnswers!.length && drawn[0]!.startsWith(`1. | ${oneLine(mdBest.answer).trim()} |`) ? drawn : undefined;
    });
    mdAnswers!.forEach((a, i) => {
      const [rank, text, score, sentence] = rows[i]!.split(' | ');
      assert.equal(rank, `${i + 1}.`);
      assert.equal(text, oneLine(a.answer).trim() || '(empty answer)');
      assert.equal(score, `${(100 * a.score).toFixed(1)}%`, 'the probability as a percentage');
      const parts = listed.answers.answers[i]!;
      assert.equal(sentence, `${oneLine(parts.before)}[${oneLine(a.answer)}]${oneLine(parts.after)}`, 'the sentence around the span, the span highlighted');
    });

    // Clicking a row selects its span in the editor (UTF-16 offsets past the emoji), and the page marks that row.
    assert.ok(mdAnswers!.length >= 2, 'a second answer to click');
    const second = listed.answers.answers[1]!;
    await xlmApi.answersPanel()!.send({ type: 'reveal', uri: listed.answers.uri, index: 1, start: second.start, end: second.end, answer: second.answer });
    const shown = vscode.window.visibleTextEditors.find((e) => e.document === md)!;
    assert.deepEqual([md.offsetAt(shown.selection.start), md.offsetAt(shown.selection.end)], [second.start, second.end], 'the clicked answer is selected');
    assert.equal(md.getText(shown.selection), second.answer);
    await waitFor('the page told which row is selected', () => xlmApi.answersPanel()?.messages.some((m) => m.type === 'selected' && m.index === 1));
    // Once the text at an answer changed, a click says so instead of selecting something else.
    const edit = new vscode.WorkspaceEdit();
    edit.replace(md.uri, new vscode.Range(md.positionAt(mdBest.start), md.positionAt(mdBest.end)), 'somewhere else');
    await vscode.workspace.applyEdit(edit);
    const before = [md.offsetAt(shown.selection.start), md.offsetAt(shown.selection.end)];
    await xlmApi.answersPanel()!.send({ type: 'reveal', uri: listed.answers.uri, index: 0, start: mdBest.start, end: mdBest.end, answer: mdBest.answer });
    const said = await waitFor('the panel said the text changed', () => [...(xlmApi.answersPanel()?.messages ?? [])].reverse().find((m) => m.type === 'message'));
    assert.match((said as { text: string }).text, /^The text at this answer changed since the question was asked; .* Ask the question again\.$/);
    assert.deepEqual([md.offsetAt(shown.selection.start), md.offsetAt(shown.selection.end)], before, 'the selection stayed where it was');
    await vscode.commands.executeCommand('workbench.action.files.revert');

    // No model fits the slot: the slot's words, and nothing selected.
    await config.update('model', path.join(folder().fsPath, 'models', 'tiny-pair'), vscode.ConfigurationTarget.Global);
    const xlm = xlmApi;
    void vscode.commands.executeCommand('xlm.askQuestion', 'Where did she live?');
    const why = await waitFor('the problem noted', () => xlm.problems().find((p) => p.includes('Ask a question')));
    assert.match(why, /^tiny-pair cannot serve Ask a question about this file: it has no question-answering head\. Pick a model that has one with "XLM: Select model" → Question answering\.$/);
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});

test("when the engine comes up with a document the hover serves in view, the workspace's sentences are indexed before any hover", async () => {
  const config = vscode.workspace.getConfiguration('xlm');
  const previous = config.get<string>('model');
  await config.update('model', '', vscode.ConfigurationTarget.Global);
  try {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(folder(), 'notes.txt'));
    await vscode.window.showTextDocument(doc);
    const xlm = await api();
    // A restarted engine holds no index: the hover builds it again at once, unasked (a user's first hover said
    // "hover again"). The request log keeps the last 200 requests; the count says how many are this test's.
    const before = xlm.requestCount();
    await vscode.commands.executeCommand('xlm.restartEngine');
    const since = () => {
      const n = xlm.requestCount() - before;
      return n === 0 ? [] : xlm.requestLog().slice(-n);
    };
    await waitFor('sentences/index sent without a hover', () => since().includes('sentences/index'), 30_000);
    assert.ok(!since().includes('sentences/similar'), `no hover asked: ${since().join(', ')}`);
  } finally {
    await config.update('model', previous, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  }
});
