/**
 * Reading XLM Lab settings with workspace trust applied: in an untrusted workspace, settings that name a model
 * folder, start training or let the engine go online are taken from the user's own settings only, never from the
 * workspace's .vscode folder (a repository could otherwise point the engine at a file it chose, or switch
 * offline mode off), and relative paths resolve against the home folder, not inside the untrusted folder.
 */
import { homedir } from 'node:os';
import * as vscode from 'vscode';
import { resolveSettingPath, trustedValue } from './trust.js';
import { DEVICE_CHOICES, type DeviceChoice } from '../engine/rpc/protocol.js';

const SECTION = 'xlm';

export function setting<T>(key: string, fallback: T): T {
  const config = vscode.workspace.getConfiguration(SECTION);
  const restricted = vscode.workspace.isTrusted ? undefined : trustedValue(key, config.inspect<T>(key), false, fallback);
  return restricted !== undefined ? restricted : config.get<T>(key, fallback);
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
  return resolveSettingPath(p, vscode.workspace.isTrusted, vscode.workspace.workspaceFolders?.[0]?.uri.fsPath, homedir());
}

/** Where training runs go: `xlm.runFolder`, relative to the workspace; `runs` by default. */
export function runFolder(): string {
  return resolveInWorkspace(setting<string>('runFolder', 'runs') || 'runs');
}

export async function setActiveModel(dir: string): Promise<void> {
  // Written to the user's settings: a model picked by the user is theirs, and an untrusted workspace's value is ignored anyway.
  await vscode.workspace.getConfiguration(SECTION).update('model', dir, vscode.ConfigurationTarget.Global);
}
