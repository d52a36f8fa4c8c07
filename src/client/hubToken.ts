/**
 * The Hugging Face token lives in VS Code's SecretStorage (the OS keychain), never in settings: Settings Sync
 * uploads settings, and a workspace's settings travel with its repository. An `xlm.hub.token` value left by an
 * earlier version is moved into SecretStorage once and removed from every settings file that held it.
 * The CLI keeps reading HF_TOKEN and the HF token file.
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'xlm.hub.token';
const OLD_SETTING = 'hub.token';

export async function hubToken(secrets: vscode.SecretStorage): Promise<string | undefined> {
  return (await secrets.get(SECRET_KEY)) || undefined;
}

/** Moves a token from the old setting into SecretStorage (if none is stored yet), then removes the setting everywhere. */
export async function migrateHubTokenSetting(secrets: vscode.SecretStorage): Promise<boolean> {
  const config = vscode.workspace.getConfiguration('xlm');
  const inspected = config.inspect<string>(OLD_SETTING);
  if (!inspected) return false;
  const targets: Array<[string | undefined, vscode.ConfigurationTarget]> = [
    [inspected.globalValue, vscode.ConfigurationTarget.Global],
    [inspected.workspaceValue, vscode.ConfigurationTarget.Workspace],
    [inspected.workspaceFolderValue, vscode.ConfigurationTarget.WorkspaceFolder],
  ];
  const present = targets.filter(([value]) => typeof value === 'string' && value.trim() !== '');
  if (present.length === 0) return false;
  // The user's own value first; a workspace's value is taken only from a trusted workspace.
  const value = inspected.globalValue?.trim() || (vscode.workspace.isTrusted ? (inspected.workspaceValue ?? inspected.workspaceFolderValue)?.trim() : undefined);
  if (value && !(await secrets.get(SECRET_KEY))) await secrets.store(SECRET_KEY, value);
  for (const [, target] of present) {
    try {
      await config.update(OLD_SETTING, undefined, target);
    } catch {
      // A workspace-folder value needs a folder resource; the workspace file's value is removed above.
    }
  }
  return true;
}

export function registerHubTokenCommands(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xlm.setHubToken', async (given?: string) => {
      const token =
        given ??
        (await vscode.window.showInputBox({
          title: 'Hugging Face access token',
          prompt: 'For private and gated models. Kept in your system keychain, not in settings; sent only to the Hugging Face Hub.',
          password: true,
          ignoreFocusOut: true,
          validateInput: (v) => (/^\S+$/.test(v.trim()) ? undefined : 'A token has no spaces (it starts with hf_).'),
        }));
      if (!token?.trim()) return false;
      await context.secrets.store(SECRET_KEY, token.trim());
      void vscode.window.showInformationMessage('XLM Lab: Hugging Face token saved in the system keychain.');
      return true;
    }),
    vscode.commands.registerCommand('xlm.clearHubToken', async () => {
      await context.secrets.delete(SECRET_KEY);
      void vscode.window.showInformationMessage('XLM Lab: Hugging Face token removed.');
      return true;
    }),
  );
  const migrate = (): void =>
    void migrateHubTokenSetting(context.secrets).then((moved) => {
      if (moved) void vscode.window.showInformationMessage('XLM Lab moved your Hugging Face token from settings into the system keychain.');
    });
  migrate();
  // A value that arrives later (Settings Sync, an edited settings.json) is moved as well.
  context.subscriptions.push(vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(`xlm.${OLD_SETTING}`) && migrate()));
}
