/**
 * Workspace trust for settings, without the vscode module so it is unit-tested: in an untrusted workspace the
 * trust-sensitive settings come from the user's own settings only, and relative paths resolve against the home
 * folder, never inside the folder the user has not trusted.
 */
import { isAbsolute, join } from 'node:path';

/** Settings a workspace may not set while it is untrusted: they name files, start work, or let the engine go online. */
export const TRUST_SENSITIVE: ReadonlySet<string> = new Set(['model', 'runFolder', 'translationModel', 'models.fillMask', 'models.classifier', 'models.nli', 'models.translation', 'models.tokenClassification', 'models.questionAnswering', 'hub.token', 'hub.offline']);

export interface InspectedSetting<T> {
  defaultValue?: T;
  globalValue?: T;
  workspaceValue?: T;
  workspaceFolderValue?: T;
}

/** The value in effect: for a trust-sensitive key in an untrusted workspace, the user's value or the default. */
export function trustedValue<T>(key: string, inspected: InspectedSetting<T> | undefined, trusted: boolean, fallback: T): T | undefined {
  if (trusted || !TRUST_SENSITIVE.has(key)) return undefined;
  return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
}

/** A setting's path as an absolute path: relative ones against the workspace folder when trusted, else the home folder. */
export function resolveSettingPath(p: string, trusted: boolean, workspaceFolder: string | undefined, home: string): string {
  if (isAbsolute(p) || /^[A-Za-z]:[\\/]/.test(p)) return p;
  if (!trusted) return join(home, p);
  return workspaceFolder ? join(workspaceFolder, p) : p;
}
