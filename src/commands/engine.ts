/** Commands about the engine itself: its log, its status, restarting and stopping it. */
import * as vscode from 'vscode';
import type { Ctx } from '../client/ctx.js';
import { SLOTS } from '../client/slots.js';
import type { EngineInfo } from '../engine/rpc/protocol.js';

export function registerEngineCommands(ctx: Ctx): void {
  ctx.command('xlm.showLog', 'Show engine log', () => ctx.output.show(), false);

  ctx.command(
    'xlm.showProblems',
    'Why a feature cannot run',
    async (): Promise<string[]> => {
      const why = [...ctx.problems.values()];
      if (!why.length) {
        void vscode.window.showInformationMessage('XLM Lab: every feature that was used could run.');
        return why;
      }
      if (why.length > 1) {
        // One row per feature, each with its own fix: the model picker for that feature.
        const rows = [...ctx.problems].map(([slot, text]) => ({ label: `$(warning) ${SLOTS.find((s) => s.id === slot)?.serves ?? slot}`, detail: text, slot }));
        const row = await vscode.window.showQuickPick(rows, { title: `XLM Lab: ${why.length} features cannot run; pick one to select a model for it` });
        if (row) await vscode.commands.executeCommand('xlm.selectModel', undefined, row.slot);
        return why;
      }
      const pick = await vscode.window.showWarningMessage(`XLM Lab: ${why[0]}`, 'Select model', 'Show log');
      if (pick === 'Select model') await vscode.commands.executeCommand('xlm.selectModel', undefined, ctx.problems.keys().next().value);
      if (pick === 'Show log') ctx.output.show();
      return why;
    },
    false,
  );

  ctx.command(
    'xlm.restartEngine',
    'Restart engine',
    async (): Promise<EngineInfo | undefined> => {
      try {
        const info = await ctx.restart();
        vscode.window.setStatusBarMessage(`XLM Lab engine restarted (pid ${info.pid})`, 3000);
        return info;
      } catch (e) {
        await ctx.showError('Restart engine', e);
        return undefined;
      }
    },
    false,
  );

  ctx.command('xlm.stopEngine', 'Stop engine', () => ctx.stop(), false);

  // Starts the engine if needed and shows what it is; also what the tests use to see the engine start.
  ctx.command('xlm.engineStatus', 'Show engine status', async (): Promise<EngineInfo | undefined> => {
    try {
      const info = await ctx.engine.info();
      ctx.engineInfo = info;
      const devices = info.devices.map((d) => `${d.name.toUpperCase()}${d.available ? '' : ' (unavailable)'}`).join(', ');
      ctx.output.info(`Engine ${info.engineVersion}, pid ${info.pid}, node ${info.node}; devices: ${devices}; methods: ${info.methods.join(', ')}`);
      void vscode.window.showInformationMessage(`XLM Lab engine ${info.engineVersion} is running (pid ${info.pid}). Devices: ${devices}.`, 'Show log').then((pick) => pick && ctx.output.show());
      return info;
    } catch (e) {
      await ctx.showError('Show engine status', e);
      return undefined;
    }
  });

  ctx.command(
    'xlm.showStatusMenu',
    'Engine actions',
    async () => {
      await ctx.refreshSlots();
      const items: (vscode.QuickPickItem & { command?: string; args?: unknown[] })[] = [
        // A feature that cannot run is said first here too, as the item's tooltip says it.
        ...(ctx.problems.size ? [{ label: `$(warning) Why ${ctx.problems.size === 1 ? 'a feature cannot' : `${ctx.problems.size} features cannot`} run…`, command: 'xlm.showProblems' }] : []),
        { label: 'Models (pick one to change it)', kind: vscode.QuickPickItemKind.Separator },
        ...SLOTS.map((s) => {
          const name = ctx.slotModels.get(s.id)?.name ?? 'none';
          // Without a classifier the hover still shows something: the language, from the fill-mask model's head.
          const meanwhile = s.id === 'classifier' && name === 'none' ? '; without one, the hover names the language where the fill-mask model has a language-identification head (the default model has one)' : '';
          return { label: `$(database) ${s.label}: ${name}`, detail: `for ${s.serves}${meanwhile}`, command: 'xlm.selectModel', args: [undefined, s.id] };
        }),
        { label: '$(database) Select model for every feature it fits…', command: 'xlm.selectModel', args: [undefined, 'all'] },
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        { label: '$(graph) Open training dashboard', command: 'xlm.openDashboard' },
        ...(ctx.health.kind === 'training' ? [{ label: '$(debug-stop) Stop training', command: 'xlm.stopTraining' }] : []),
        { label: '$(output) Show engine log', command: 'xlm.showLog' },
        { label: '$(debug-restart) Restart engine', command: 'xlm.restartEngine' },
        { label: '$(info) Show engine status', command: 'xlm.engineStatus' },
        { label: '$(debug-stop) Stop engine', command: 'xlm.stopEngine' },
      ];
      const pick = await vscode.window.showQuickPick(items, { title: 'XLM Lab' });
      if (pick?.command) await vscode.commands.executeCommand(pick.command, ...(pick.args ?? []));
    },
    false,
  );
}
