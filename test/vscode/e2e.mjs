// End-to-end in a real VS Code: packages the extension as a .vsix, installs it into code-server, opens a workspace
// with a tiny model and data, and drives the UI through the command palette with playwright-core and headless
// Chromium, asserting on the DOM and saving a screenshot of each step to a folder it prints.
// Usage: node test/vscode/e2e.mjs [--dev] [OUT_DIR]     (exit 0 pass, 1 fail, 2 launcher error/timeout)
// --dev loads the extension from this checkout (extensionDevelopmentPath) instead of packaging a .vsix: faster
// while working on the UI; the packaged run is the one that counts.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildExtension, checkTools, deadline, installVsix, launchChromium, repoRoot, startCodeServer, testSettings, writeTestWorkspace } from './code-server.mjs';
import { editor, palette, revivedFrame, timings, webviewFrame, wordBox } from './e2e-ui.mjs';

const args = process.argv.slice(2);
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) ?? fs.mkdtempSync(path.join(os.tmpdir(), 'xlm-e2e-')));
const timeoutMs = Number(process.env.XLM_E2E_TIMEOUT_MS ?? 300_000);
deadline(timeoutMs, 'e2e');
checkTools();
fs.rmSync(outDir, { recursive: true, force: true });
fs.mkdirSync(outDir, { recursive: true });
const shots = path.join(outDir, 'screenshots');
fs.mkdirSync(shots);
const t = timings();

// 1. Package and install.
const dev = args.includes('--dev');
// The linux-x64 package, the one `npm run package` makes for this machine, named as it names it.
const { version } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const vsix = path.join(outDir, `xlm-lab-linux-x64-${version}.vsix`);
const runDir = path.join(outDir, 'run');
fs.mkdirSync(runDir);
if (dev) {
  await buildExtension();
} else {
  const r = spawnSync(process.execPath, ['scripts/package.mjs', '--target', 'linux-x64', '--out', outDir], { cwd: repoRoot, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`npm run package failed:\n${r.stdout}\n${r.stderr}`);
  t.mark('package');
  console.log(`[e2e] vsix ${(fs.statSync(vsix).size / 1e6).toFixed(1)} MB`);
  installVsix(runDir, vsix);
  t.mark('install');
}

// 2. Workspace with a tiny model selected in its settings.
const ws = writeTestWorkspace(path.join(outDir, 'workspace'));
fs.mkdirSync(path.join(ws, '.vscode'));
fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'xlm.model': 'models/tiny', 'xlm.runFolder': 'runs' }, null, 2));
// The repository's language-identification examples (780 rows, 26 languages): the wizard's defaults must learn them.
fs.copyFileSync(path.join(repoRoot, 'examples', 'langid', 'train.jsonl'), path.join(ws, 'examples', 'langid', 'train.jsonl'));

// A run stopped with a checkpoint (the run list offers Resume), and a cluster job's output outside the workspace
// (a model and transformers' trainer_state.json) for Open a run folder.
const stopped = path.join(ws, 'runs', 'stopped-run');
fs.mkdirSync(path.join(stopped, 'checkpoint-20'), { recursive: true });
fs.writeFileSync(path.join(stopped, 'run.json'), JSON.stringify({ task: 'sequence-classification', method: 'full', epochs: 5, batchSize: 8, learningRate: 2e-5 }, null, 2));
fs.writeFileSync(path.join(stopped, 'metrics.jsonl'), Array.from({ length: 20 }, (_, i) => JSON.stringify({ step: i + 1, epoch: (i + 1) / 8, loss: 1.1 * Math.exp(-(i + 1) / 15) + 0.2 }) + '\n').join(''));
const longAgo = new Date(Date.now() - 3_600_000);
for (const f of ['run.json', 'metrics.jsonl']) fs.utimesSync(path.join(stopped, f), longAgo, longAgo);
const clusterOut = path.join(outDir, 'cluster', 'xnli-cluster');
fs.mkdirSync(clusterOut, { recursive: true });
for (const f of fs.readdirSync(path.join(ws, 'models', 'tiny'))) fs.copyFileSync(path.join(ws, 'models', 'tiny', f), path.join(clusterOut, f));
const history = [];
for (let step = 1; step <= 24; step++) {
  history.push({ step, epoch: step / 8, loss: 1.0 * Math.exp(-step / 9) + 0.15, learning_rate: 5e-5 * (1 - step / 25), grad_norm: 1.8 / Math.sqrt(step) });
  if (step % 8 === 0) history.push({ step, epoch: step / 8, eval_loss: 0.5, eval_accuracy: 0.55 + step / 80, eval_runtime: 0.4 });
}
fs.writeFileSync(path.join(clusterOut, 'trainer_state.json'), JSON.stringify({ global_step: 24, log_history: history }));

const server = await startCodeServer({ runDir, folder: ws, settings: { ...testSettings, 'workbench.colorTheme': 'Default Dark Modern' } });
let browser;
let failed = false;
try {
  browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
  const consoleLog = fs.createWriteStream(path.join(outDir, 'browser-console.log'));
  page.on('console', (m) => consoleLog.write(`[${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => consoleLog.write(`[pageerror] ${e.message}\n`));
  page.on('response', (r) => r.status() >= 400 && consoleLog.write(`[http ${r.status()}] ${r.url()}\n`));
  const shot = async (name) => {
    await page.waitForTimeout(400); // let animations settle
    await page.screenshot({ path: path.join(shots, `${name}.png`) });
  };
  // xlm.model in the workspace's settings ('' = the shipped default model); the file is watched, so let the change arrive.
  const setModelSetting = async (model) => {
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'xlm.model': model, 'xlm.runFolder': 'runs' }, null, 2));
    await page.waitForTimeout(1500);
  };

  const payload = dev ? `&payload=${encodeURIComponent(JSON.stringify([['extensionDevelopmentPath', `vscode-remote://remote${repoRoot}`]]))}` : '';
  // The workbench page can take over 30 s (playwright's default) to load on a machine busy with other work.
  await page.goto(`${server.url}?folder=${encodeURIComponent(ws)}${payload}`, { timeout: 180_000 });
  await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.txt' }).waitFor({ timeout: 60_000 });
  const status = page.locator('.statusbar-item', { hasText: 'XLM' }).first();
  await status.waitFor({ timeout: 30_000 });
  t.mark('workbench');
  const idle = (await status.innerText()).trim();
  console.log(`[e2e] status item at start: "${idle}"`);
  await shot('01-workbench');

  // 3. A palette command starts the engine: the status item turns to ready, the notification names the pid.
  await palette(page, 'XLM: Show engine status');
  const note = page.locator('.notification-toast', { hasText: 'XLM Lab engine' });
  await note.first().waitFor({ timeout: 30_000 });
  await page.locator('.statusbar-item', { hasText: /XLM · CPU/ }).first().waitFor({ timeout: 30_000 });
  console.log(`[e2e] engine notification: "${(await note.first().innerText()).trim().split('\n')[0]}"`);
  await shot('02-engine-started');
  await palette(page, 'Notifications: Clear All Notifications');
  // The status item's menu names the model serving each feature.
  await page.locator('.statusbar-item', { hasText: /XLM · CPU/ }).first().click();
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Fill-mask:' }).first().waitFor({ timeout: 30_000 });
  await shot('02b-status-menu-models');
  await page.keyboard.press('Escape');
  t.mark('engine');

  // 4. The dashboard draws the workspace's run from metrics.jsonl.
  await palette(page, 'XLM: Open training dashboard');
  const dash = await webviewFrame(page, 'XLM Training');
  const loss = dash.locator('figure.chart[data-chart="loss"]');
  await loss.waitFor({ timeout: 30_000 });
  const points = Number(await loss.getAttribute('data-points'));
  if (!(points > 0)) throw new Error(`loss chart has ${points} points`);
  if ((await dash.locator('figure.chart canvas').count()) < 4) throw new Error('fewer than 4 uPlot charts');
  if ((await dash.locator('.confusion td.heat').count()) !== 4) throw new Error('confusion matrix is not 2×2');
  console.log(`[e2e] dashboard: loss chart with ${points} points, ${await dash.locator('figure.chart').count()} charts, languages: ${(await dash.locator('.languages td:first-child').allInnerTexts()).join(', ')}`);
  await shot('03-dashboard');
  await dash.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await shot('03a-dashboard-tables');
  await dash.evaluate(() => window.scrollTo(0, 0));
  // The same dashboard in a light and a high-contrast theme (colours come from the theme's CSS variables).
  // The same dashboard in a light and a high-contrast theme (colours come from the theme's CSS variables).
  for (const [theme, css, name] of [['Light Modern', 'vs', '03b-dashboard-light'], ['Dark High Contrast', 'hc-black', '03c-dashboard-high-contrast'], ['Dark Modern', 'vs-dark', '']]) {
    await palette(page, 'Preferences: Color Theme');
    await page.locator('.quick-input-widget input[placeholder*="Color Theme"], .quick-input-widget input[aria-label*="Color Theme"]').first().waitFor({ timeout: 10_000 }).catch(() => undefined);
    await page.keyboard.type(theme);
    const row = page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${theme}$`) }) }).first();
    await row.click({ timeout: 15_000 });
    await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c), css, { timeout: 15_000 });
    await page.waitForTimeout(600);
    if (name) await shot(name);
  }
  t.mark('dashboard');

  // 4b. Open a run folder: the cluster job's output, picked in the folder dialog, is imported and drawn beside the
  // local run; the stopped run offers Resume, the imported one its model.
  if ((await dash.locator('.runs .run-item', { hasText: 'stopped-run' }).locator('button', { hasText: 'Resume' }).count()) !== 1) throw new Error('the stopped run offers no Resume');
  await palette(page, 'XLM: Open a run folder');
  const dialog = page.locator('.quick-input-widget input');
  await dialog.waitFor({ state: 'visible' });
  // VS Code's own folder dialog (a quick input). It opens on the workspace folder (wait for that listing, or it
  // overwrites what is typed), a path ending in / lists that folder, and its button picks it.
  const row = (text) => page.locator('.quick-input-widget .monaco-list-row', { hasText: text });
  await row('models').first().waitFor({ timeout: 15_000 });
  await dialog.fill(`${clusterOut}/`);
  await row('models').first().waitFor({ state: 'detached', timeout: 15_000 });
  await page.waitForTimeout(500);
  await page.locator('.quick-input-widget .monaco-button', { hasText: 'Open run folder' }).click();
  const imported = dash.locator('.runs .run-item', { hasText: 'xnli-cluster' });
  await imported.first().waitFor({ timeout: 30_000 });
  if ((await imported.first().locator('button', { hasText: 'Use model' }).count()) !== 1) throw new Error('the imported run does not offer its model');
  await dash.locator('figure.chart[data-chart="eval-accuracy"]').waitFor({ timeout: 30_000 });
  console.log(`[e2e] open a run folder: runs ${(await dash.locator('.runs .run').allInnerTexts()).join(' | ')}; loss chart points ${await dash.locator('figure.chart[data-chart="loss"]').getAttribute('data-points')}`);
  await shot('03d-dashboard-open-run-folder');
  await palette(page, 'Notifications: Clear All Notifications');
  t.mark('openRunFolder');

  // 5. Fine-tune through the palette as a new user would, with every default: the shipped model (xlm.model empty),
  // the examples' language identification, the suggested task, the first method (for this small model, full
  // fine-tuning, marked recommended) and the table's settings.
  // The run must learn: the finish notice says so (a run at chance says "did not learn").
  await setModelSetting('');
  await palette(page, 'XLM: Fine-tune XLM on workspace data');
  await pickQuick(page, 'train.jsonl');
  await pickQuick(page, 'Text classification');
  const firstMethod = (await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'recommended for this model' }).first().waitFor({ timeout: 30_000 }).then(() => page.locator('.quick-input-widget .monaco-list-row').first().innerText())).trim();
  if (!/^Full fine-tuning \(recommended for this model\)/.test(firstMethod)) throw new Error(`the method offered first for the small default model is not full fine-tuning: ${firstMethod}`);
  await pickQuick(page, 'recommended for this model');
  await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'Start:' }).first().waitFor({ timeout: 30_000 });
  await shot('04a-wizard-hyperparameters');
  await pickQuick(page, 'Start:');
  // The dashboard switches to the new run and draws its loss as the trainer appends to metrics.jsonl.
  const newRun = dash.locator('.runs .run', { hasText: '-full' });
  await newRun.first().waitFor({ timeout: 60_000 });
  await dash.locator('figure.chart[data-chart="loss"]').waitFor({ timeout: 120_000 });
  const finished = page.locator('.notification-toast', { hasText: 'training finished' }).first();
  await finished.waitFor({ timeout: 300_000 });
  const notice = (await finished.innerText()).trim();
  const runLabel = (await newRun.first().innerText()).trim();
  const trained = Number(await dash.locator('figure.chart[data-chart="loss"]').getAttribute('data-points'));
  if (!(trained > 0)) throw new Error('the new run has no loss points');
  console.log(`[e2e] fine-tune: run "${runLabel}" finished; its loss curve has ${trained} points; notice: ${JSON.stringify(notice.slice(0, 160))}`);
  await shot('04-fine-tune');
  if (!/the model learned/.test(notice) || /did not learn/.test(notice)) throw new Error(`the wizard's defaults did not learn the examples' language identification: ${notice}`);
  // The notice gives the figures behind "learned", so that two runs' notices can be told apart.
  if (!/the model learned: eval accuracy \d+\.\d% \(majority class \d+\.\d%\)/.test(notice)) throw new Error(`the finish notice gives no eval accuracy: ${notice}`);
  // The 26-language confusion matrix scrolls inside its own box: the page itself never scrolls sideways (a user saw it do so).
  await dash.locator('.confusion td.heat').nth(26 * 26 - 1).waitFor({ timeout: 60_000 });
  const sideways = await dash.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  if (sideways > 0) throw new Error(`the dashboard's page scrolls ${sideways} px sideways with the 26-language confusion matrix`);
  t.mark('fineTune');
  await page.keyboard.press('Escape');
  await setModelSetting('models/tiny');

  // 6. The masked-word panel for the sentence with <mask>.
  const ed = await editor(page, 'notes.txt', 'Paris');
  await ed.clickText('<mask>');
  await palette(page, 'XLM: Open masked-word panel');
  const mask = await webviewFrame(page, 'Masked words');
  await mask.locator('button.candidate').first().waitFor({ timeout: 60_000 });
  const candidates = await mask.locator('button.candidate').allInnerTexts();
  // Five, or six when the word offered first lies below the model's top five (it is listed first, with its probability).
  if (candidates.length !== 5 && candidates.length !== 6) throw new Error(`expected 5 or 6 candidates, saw ${candidates.length}`);
  console.log(`[e2e] masked-word candidates: ${candidates.join(', ')}`);
  // The line above the bars: the sentence with the candidate inline fill-in would insert.
  const filledLine = await mask.locator('p.filled').innerText();
  console.log(`[e2e] masked-word sentence: ${filledLine}`);
  if (filledLine.includes('<mask>') || !filledLine.startsWith('Paris is the ')) throw new Error(`the panel's filled sentence is "${filledLine}"`);
  // Between spaces the panel lists words first: its first candidate is the word in that sentence.
  if (!filledLine.startsWith(`Paris is the ${candidates[0].replace(/^…/, '')} `)) throw new Error(`the panel's first candidate "${candidates[0]}" is not the filled sentence's word: "${filledLine}"`);
  await shot('05-masked-word-panel');
  t.mark('maskPanel');

  // 7. Hover a sentence.
  await page.locator('.tabs-container .tab', { hasText: 'notes.txt' }).click();
  const box = await wordBox(page, 'weather');
  await page.mouse.move(box.x - 30, box.y);
  await page.mouse.move(box.x, box.y, { steps: 4 });
  const hover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'XLM Lab' });
  await hover.first().waitFor({ timeout: 30_000 });
  const hoverText = (await hover.first().innerText()).trim();
  console.log(`[e2e] hover: ${JSON.stringify(hoverText.slice(0, 200))}`);
  if (!/(negative|positive) \d+\.\d%/.test(hoverText)) throw new Error(`hover has no label with probability: ${hoverText}`);
  await shot('06-hover');
  t.mark('hover');

  // 7b. With xlm.model empty the model that ships in the .vsix is active: the hover names the sentence's language.
  await setModelSetting('');
  await page.mouse.move(5, 400);
  const wetter = await wordBox(page, 'Wetter');
  await page.mouse.move(wetter.x - 30, wetter.y);
  await page.mouse.move(wetter.x, wetter.y, { steps: 4 });
  const hover2 = page.locator('.monaco-hover:not(.hidden)', { hasText: 'German' });
  await hover2.first().waitFor({ timeout: 60_000 });
  console.log(`[e2e] hover with the shipped default model: ${JSON.stringify((await hover2.first().innerText()).trim().slice(0, 200))}`);
  await shot('06b-hover-default-model');
  await setModelSetting('models/tiny');
  await page.mouse.move(5, 400);
  t.mark('defaultHover');

  // 7c. Entity highlights: with the tiny NER model in the entities slot, people.txt's names are decorated by type
  // (dark and light theme), hovering one gives its type and score, and List entities in this file lists them.
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'xlm.model': 'models/tiny', 'xlm.models.tokenClassification': 'models/tiny-ner', 'xlm.runFolder': 'runs' }, null, 2));
  await page.waitForTimeout(1500);
  await editor(page, 'people.txt', 'Anna Schmidt');
  // Decoration types render as VS Code's generated `ced-…` classes on the decorated text.
  const decorated = page.locator('.editor-instance .monaco-editor [class*="ced-"]');
  await decorated.first().waitFor({ timeout: 60_000 });
  await page.mouse.move(5, 400);
  const anna = await wordBox(page, 'Anna');
  await page.mouse.move(anna.x - 30, anna.y);
  await page.mouse.move(anna.x, anna.y, { steps: 4 });
  const entityHover = page.locator('.monaco-hover:not(.hidden)', { hasText: 'entity from' });
  await entityHover.first().waitFor({ timeout: 30_000 });
  const entityText = (await entityHover.first().innerText()).trim();
  console.log(`[e2e] entities: ${await decorated.count()} decorated spans; hover: ${JSON.stringify(entityText.slice(0, 120))}`);
  if (!/PER \(person\) \d+\.\d%/.test(entityText)) throw new Error(`entity hover has no type and score: ${entityText}`);
  await shot('06c-entities-hover');
  await page.mouse.move(5, 400);
  await palette(page, 'XLM: List entities in this file');
  const listed = page.locator('.quick-input-widget .monaco-list-row');
  await listed.filter({ hasText: 'Anna Schmidt' }).first().waitFor({ timeout: 30_000 });
  console.log(`[e2e] List entities: ${(await listed.allInnerTexts()).map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  await shot('06d-entities-list');
  await page.keyboard.press('Escape');
  await palette(page, 'Preferences: Color Theme');
  await page.keyboard.type('Light Modern');
  await page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^Light Modern$/ }) }).first().click({ timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs'), undefined, { timeout: 15_000 });
  await shot('06e-entities-light');
  await palette(page, 'Preferences: Color Theme');
  await page.keyboard.type('Dark Modern');
  await page.locator('.quick-input-widget .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: /^Dark Modern$/ }) }).first().click({ timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('.monaco-workbench')?.classList.contains('vs-dark'), undefined, { timeout: 15_000 });
  fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'xlm.model': 'models/tiny', 'xlm.runFolder': 'runs' }, null, 2));
  await page.waitForTimeout(1500);
  await page.locator('.tabs-container .tab', { hasText: 'notes.txt' }).click();
  t.mark('entities');

  // 8. Fill-in at <mask>: the completion list with probabilities, then the best word as ghost text; Tab writes it.
  await page.mouse.move(5, 400);
  await ed.clickText('<mask>', '<mask>'.length);
  await page.keyboard.press('Control+Space');
  const suggest = page.locator('.suggest-widget .monaco-list-row');
  await suggest.first().waitFor({ timeout: 30_000 });
  const rows = await suggest.allInnerTexts();
  console.log(`[e2e] completion list: ${rows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  if (!rows.some((r) => /\d+\.\d%/.test(r))) throw new Error('no probabilities in the completion list');
  await shot('07-completion-list');
  await page.keyboard.press('Escape');
  // The Fill mask command's quick pick: its title is the sentence inline fill-in writes (checked against the ghost
  // text below), its rows the candidates with their probabilities.
  await palette(page, 'XLM: Fill mask');
  const pickTitle = page.locator('.quick-input-widget .quick-input-title', { hasText: 'Fill mask:' });
  await pickTitle.first().waitFor({ timeout: 30_000 });
  const fillTitle = (await pickTitle.first().innerText()).trim();
  const pickRows = await page.locator('.quick-input-widget .monaco-list-row').allInnerTexts();
  console.log(`[e2e] Fill mask quick pick: "${fillTitle}"; rows: ${pickRows.map((r) => r.replace(/\s+/g, ' ')).join(' | ')}`);
  if (!pickRows.length || !pickRows.every((r) => /\d+\.\d%/.test(r))) throw new Error('a Fill mask row without its probability');
  await shot('07b-fill-mask-pick');
  await page.keyboard.press('Escape');
  await ed.clickText('<mask>', '<mask>'.length);
  await palette(page, 'Trigger Inline Suggestion');
  const ghost = page.locator('.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text');
  await ghost.first().waitFor({ timeout: 30_000 });
  const ghostWord = (await ghost.first().innerText()).trim();
  console.log(`[e2e] inline fill-in ghost text: ${JSON.stringify(ghostWord)}`);
  if (fillTitle !== `Fill mask: Paris is the ${ghostWord} of France.`) throw new Error(`the Fill mask title "${fillTitle}" is not the sentence the ghost text writes ("${ghostWord}")`);
  if (!pickRows[0]?.trim().startsWith(ghostWord)) throw new Error(`the Fill mask quick pick's first row (Enter's pick) is "${pickRows[0]}", not the offered "${ghostWord}"`);
  await shot('08-inline-fill');
  await page.keyboard.press('Tab');
  await page.locator('.monaco-editor .view-line', { hasText: `Paris is the ${ghostWord} of France.` }).first().waitFor({ timeout: 10_000 });
  await shot('09-inline-fill-accepted');
  t.mark('fillIn');

  // 8b. Ask a question about this file: the answers panel lists the spans with their probability and sentence; a
  // click on the second row selects that span in the editor (the status bar counts the selected characters).
  await page.locator('.tabs-container .tab', { hasText: 'notes.txt' }).first().click();
  await palette(page, 'XLM: Ask a question about this file');
  const question = page.locator('.quick-input-widget input');
  await question.waitFor({ state: 'visible' });
  await question.fill('Wie ist das Wetter?');
  await page.keyboard.press('Enter');
  const answersFrame = await webviewFrame(page, 'Answers', 60_000);
  await answersFrame.locator('li.answer').nth(1).waitFor({ timeout: 60_000 });
  const answerRows = (await answersFrame.locator('li.answer').allInnerTexts()).map((r) => r.replace(/\s+/g, ' ').trim());
  console.log(`[e2e] answers panel: ${answerRows.join(' | ')}`);
  if (!answerRows.every((r) => /\d+\.\d%/.test(r))) throw new Error('an answer row without its probability');
  if ((await answersFrame.locator('li.answer mark').count()) !== answerRows.length) throw new Error('an answer row without its span highlighted in its sentence');
  await shot('09b-answers-panel');
  await answersFrame.locator('li.answer').nth(1).click();
  await answersFrame.locator('li.answer.selected').filter({ hasText: answerRows[1].slice(0, 2) }).first().waitFor({ timeout: 10_000 });
  if ((await answersFrame.locator('li.answer').nth(1).getAttribute('class'))?.includes('selected') !== true) throw new Error('the clicked row is not marked selected');
  // The span is selected in the editor: the status bar counts it, or (when the webview keeps the focus and the
  // workbench hides the editor's status items, as one fresh-clone run showed) the editor draws the selection.
  const counted = page.locator('.statusbar-item', { hasText: /\(\d+ selected\)/ }).first();
  const drawn = page.locator('.monaco-editor .selected-text').first();
  await counted.or(drawn).first().waitFor({ timeout: 10_000 });
  await shot('09c-answer-clicked');
  t.mark('askQuestion');

  // 9. After a window reload the serializer brings the dashboard back, rebuilt from metrics.jsonl. The webviews'
  // service workers are unregistered first: after an in-page reload Chromium otherwise keeps a stale controller
  // ("Found unexpected service worker controller") and webview scripts never load, a browser quirk, not ours.
  await page.evaluate(async () => Promise.all((await navigator.serviceWorker.getRegistrations()).map((r) => r.unregister())));
  await palette(page, 'Developer: Reload Window');
  const page2 = page;
  await page2.locator('.explorer-folders-view .monaco-list-row', { hasText: 'notes.txt' }).waitFor({ timeout: 60_000 });
  const revived = await revivedFrame(page2, 'XLM Training', 'XLM Training', 'notes.txt');
  await revived.locator('figure.chart[data-chart="loss"]').waitFor({ timeout: 30_000 });
  console.log(`[e2e] after reload the dashboard shows ${await revived.locator('figure.chart').count()} charts; runs: ${(await revived.locator('.runs .run').allInnerTexts()).join(' | ')}`);
  // The masked-word panel comes back too (its serializer), and fills itself from the editor's cursor.
  if (!(await page2.locator('.tabs-container .tab', { hasText: 'Masked words' }).count())) throw new Error('the masked-word panel did not come back after the reload');
  // The answers panel comes back with its list and the clicked row still selected (its webview state).
  // It sits beside the editor with the masked-word panel, so that is the tab that hides it for a retry (notes.txt is
  // in the other group: clicking it leaves a blank Answers frame as it is).
  const answersAgain = await revivedFrame(page2, 'Answers:', 'Answers', 'Masked words');
  await answersAgain.locator('li.answer').first().waitFor({ timeout: 30_000 });
  if ((await answersAgain.locator('li.answer').count()) !== answerRows.length) throw new Error('the answers panel came back with another list');
  if ((await answersAgain.locator('li.answer').nth(1).getAttribute('class'))?.includes('selected') !== true) throw new Error('the answers panel forgot the selected row');
  console.log('[e2e] after reload the answers panel shows its list, the clicked row selected');
  await page2.waitForTimeout(400);
  await page2.screenshot({ path: path.join(shots, '10-dashboard-after-reload.png') });
  t.mark('reload');
  console.log('[e2e] RESULT: PASS');
} catch (e) {
  failed = true;
  console.error('[e2e] RESULT: FAIL', e);
  try {
    const page = browser?.contexts().flatMap((c) => c.pages()).at(-1);
    if (page) {
      console.error(`[e2e] notifications at failure: ${JSON.stringify(await page.locator('.notification-toast').allInnerTexts())}`);
      console.error(`[e2e] quick input at failure: ${JSON.stringify(await page.locator('.quick-input-widget:visible').allInnerTexts())}`);
    }
  } catch {
    // diagnostics only
  }
  try {
    await browser?.contexts().flatMap((c) => c.pages()).at(-1)?.screenshot({ path: path.join(shots, '99-failure.png') });
  } catch {
    // the page may be gone
  }
} finally {
  await browser?.close();
  await server.stop();
}
fs.writeFileSync(path.join(outDir, 'timings.json'), JSON.stringify(t.all(), null, 2));
console.log(`[e2e] timings (ms): ${JSON.stringify(t.all())}`);
console.log(`[e2e] screenshots in ${shots}`);
process.exit(failed ? 1 : 0);

async function pickQuick(page, text) {
  const row = page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  try {
    await row.waitFor({ timeout: 30_000 });
  } catch (e) {
    // A quick pick that closed leaves its rows in the DOM, hidden: say so rather than only "timeout".
    const open = await page.locator('.quick-input-widget').first().isVisible().catch(() => false);
    throw new Error(`the quick pick row "${text}" was not shown${open ? '' : ': the quick input is closed (it lost focus, or the command ended)'}: ${e.message.split('\n')[0]}`);
  }
  await row.click();
}
