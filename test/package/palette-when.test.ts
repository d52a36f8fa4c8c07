// The command palette hides commands that cannot apply, through package.json's `when` clauses; the context keys
// those clauses read must be ones the extension sets (src/client/ctx.ts), or the command would never show.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const palette: { command: string; when: string }[] = pkg.contributes.menus.commandPalette;
const whenOf = (command: string) => palette.find((m) => m.command === command)?.when;

test('commands that need a run, an engine, an editor, a selection or a problem are hidden from the palette without one', () => {
  const expected: Record<string, string> = {
    'xlm.stopTraining': 'xlm.training',
    'xlm.stopEngine': 'xlm.engineRunning',
    'xlm.showProblems': 'xlm.hasProblems',
    'xlm.classifySelection': 'editorHasSelection',
    'xlm.translateSelection': 'editorHasSelection',
    'xlm.askQuestion': 'editorIsOpen',
    'xlm.listEntities': 'editorIsOpen',
    'xlm.fillMask': 'editorIsOpen',
    'xlm.showStatusMenu': 'false',
  };
  assert.deepEqual(Object.fromEntries(Object.keys(expected).map((c) => [c, whenOf(c)])), expected);
});

test('every xlm.* context key of a when clause is set by the extension', () => {
  const ctx = readFileSync('src/client/ctx.ts', 'utf8');
  const keys = new Set(palette.flatMap((m) => m.when.match(/\bxlm\.\w+/g) ?? []));
  assert.ok(keys.size >= 3);
  for (const key of keys) assert.match(ctx, new RegExp(`\\['${key.replace('.', '\\.')}',`), `${key} is read by a when clause but never set`);
});

test('every palette entry and walkthrough link names a contributed command; Open the sample data runs its own', () => {
  const commands = new Set((pkg.contributes.commands as { command: string }[]).map((c) => c.command));
  for (const m of palette) assert.ok(commands.has(m.command), `${m.command} is not contributed`);
  const steps: { id: string; description: string }[] = pkg.contributes.walkthroughs[0].steps;
  for (const step of steps) for (const [, command] of step.description.matchAll(/\(command:([\w.]+)\)/g)) if (command!.startsWith('xlm.')) assert.ok(commands.has(command!), `${step.id} links ${command}`);
  assert.match(steps.find((s) => s.id === 'openData')!.description, /\(command:xlm\.openSampleData\)/);
  // The default model is active from the first moment: the walkthrough starts with what works at once, and picking
  // another model comes last, as an option (a user's first step was "Pick a model" with one already active).
  assert.equal(steps[0]!.id, 'hover');
  assert.equal(steps.at(-1)!.id, 'pickModel');
  assert.match(steps.at(-1)!.description, /already active/);
});

test('the entity highlight colours have a string default for every theme kind (VS Code drops a colour whose default is not a string)', () => {
  const colors: { id: string; defaults: Record<string, unknown> }[] = pkg.contributes.colors;
  assert.deepEqual(colors.map((c) => c.id), [1, 2, 3, 4, 5, 6].map((i) => `xlm.entity${i}Background`));
  for (const c of colors) for (const kind of ['dark', 'light', 'highContrast', 'highContrastLight']) assert.match(String(c.defaults[kind]), /^#[0-9a-f]{8}$/i, `${c.id} ${kind}`);
});
