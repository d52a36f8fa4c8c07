/**
 * Reading XLM Lab settings with workspace trust applied: in an untrusted workspace, settings that name a model
 * folder, start training or let the engine go online are taken from the user's own settings only, never from the
 * workspace's .vscode folder (a repository could otherwise point the engine at a file it chose, or switch
 * offline mode off), and relative paths resolve against the home folder, not inside the untrusted folder.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { resolveSettingPath, trustedValue } from './trust.js';
import { DEVICE_CHOICES, INFERENCE_DTYPES, type DeviceChoice, type InferenceDtype } from '../engine/rpc/protocol.js';

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

/** `xlm.inference.dtype` as the engine takes it; a value outside the enum counts as fp32. */
export function inferenceDtype(): InferenceDtype {
  const d = setting<string>('inference.dtype', 'fp32');
  return INFERENCE_DTYPES.includes(d as InferenceDtype) ? (d as InferenceDtype) : 'fp32';
}

let shipped: string | undefined;

/**
 * The model that ships inside the extension (models/default with its manifest.json, see LONG_RUN.md), or '' when
 * this build has none. Looked up from the bundle's folder up to the extension's root (its package.json).
 */
export function shippedModel(): string {
  if (shipped !== undefined) return shipped;
  shipped = '';
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'models', 'default');
    if (existsSync(path.join(candidate, 'manifest.json'))) {
      shipped = candidate;
      break;
    }
    if (existsSync(path.join(dir, 'package.json')) || path.dirname(dir) === dir) break;
  }
  return shipped;
}

/**
 * The active model folder, an absolute path: `xlm.model` (relative paths resolve against the first folder), else
 * the model that ships with the extension, so fill-in, hover and the masked-word panel work with no picker; ''
 * when neither exists.
 */
export function activeModel(): string {
  const value = setting<string>('model', '').trim();
  if (!value) return shippedModel();
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
