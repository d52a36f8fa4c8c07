/**
 * Reading XLM Lab settings with workspace trust applied: in an untrusted workspace, settings that name a model
 * folder or start training are taken from the user's own settings only, never from the workspace's .vscode folder
 * (a repository could otherwise point the engine at a file it chose).
 */
import * as vscode from 'vscode';
import { DEVICE_CHOICES, type DeviceChoice } from '../engine/rpc/protocol.js';

const SECTION = 'xlm';

/** Settings a workspace may not set while it is untrusted. */
const TRUST_SENSITIVE = new Set(['model', 'runFolder', 'translationModel', 'hub.token']);

export function setting<T>(key: string, fallback: T): T {
  const config = vscode.workspace.getConfiguration(SECTION);
  if (TRUST_SENSITIVE.has(key) && !vscode.workspace.isTrusted) {
    const inspected = config.inspect<T>(key);
    return inspected?.globalValue ?? inspected?.defaultValue ?? fallback;
  }
  return config.get<T>(key, fallback);
}

/** `xlm.device` as the engine takes it; a value outside the enum (hand-edited settings.json) counts as auto. */
export function device(): DeviceChoice {
  const d = setting<string>('device', 'auto');
  return DEVICE_CHOICES.includes(d as DeviceChoice) ? (d as DeviceChoice) : 'auto';
}

/** The active model folder, an absolute path; '' when none is set. Relative paths resolve against the first folder. */
export function activeModel(): string {
  const value = setting<string>('model', '').trim();
  if (!value) return '';
  return resolveInWorkspace(value);
}

export function resolveInWorkspace(p: string): string {
  if (p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p)) return p;
  const folder = vscode.workspace.workspaceFolders?.[0];
  return folder ? vscode.Uri.joinPath(folder.uri, p).fsPath : p;
}

/** Where training runs go: `xlm.runFolder`, relative to the workspace; `runs` by default. */
export function runFolder(): string {
  return resolveInWorkspace(setting<string>('runFolder', 'runs') || 'runs');
}

export async function setActiveModel(dir: string): Promise<void> {
  // Written to the user's settings: a model picked by the user is theirs, and an untrusted workspace's value is ignored anyway.
  await vscode.workspace.getConfiguration(SECTION).update('model', dir, vscode.ConfigurationTarget.Global);
}
