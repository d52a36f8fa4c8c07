/**
 * Where the Hub and the cache are, read the way Python's huggingface_hub reads them, so a model that Python
 * downloaded is found here and what we download is found by Python. Every function of the hub module takes a
 * `HubSettings`; only `hubSettings()` looks at the environment, which keeps tests free of global state.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ENDPOINT = 'https://huggingface.co';
export const DEFAULT_REVISION = 'main';

export type TokenSource = 'setting' | 'HF_TOKEN' | 'HUGGING_FACE_HUB_TOKEN' | 'token file';

export interface HubSettings {
  /** The Hub's base URL without a trailing slash (`HF_ENDPOINT`). */
  endpoint: string;
  /** The hub cache folder holding `models--ORG--NAME` folders. */
  cacheDir: string;
  /** `HF_HOME`: the folder holding `hub/` and the `token` file. */
  hfHome: string;
  token?: string;
  /** Where the token came from, for messages; the token itself is never printed. */
  tokenSource?: TokenSource;
  /** True: no request ever leaves the machine; models come from the cache or nowhere. */
  offline: boolean;
}

/** What the extension's settings (`xlm.hub.*`) or CLI flags may set; each wins over the environment. */
export interface HubSettingOverrides {
  token?: string;
  /** Offline if this or `HF_HUB_OFFLINE` says so: either one is enough to keep the network untouched. */
  offline?: boolean;
  endpoint?: string;
  cacheDir?: string;
}

const TRUE_VALUES = new Set(['1', 'ON', 'YES', 'TRUE']);

function isTrue(value: string | undefined): boolean {
  return value !== undefined && TRUE_VALUES.has(value.trim().toUpperCase());
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}

/** `~` and `$VAR` in paths, as Python's expanduser/expandvars do for these variables. */
function expandPath(path: string, env: NodeJS.ProcessEnv): string {
  let expanded = path.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, braced, bare) => {
    const value = env[braced ?? bare];
    return value === undefined ? whole : value;
  });
  if (expanded === '~' || expanded.startsWith('~/')) expanded = join(homedir(), expanded.slice(1));
  return expanded;
}

function readTokenFile(path: string): string | undefined {
  try {
    return nonEmpty(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The settings in force: overrides first, then the environment, then huggingface_hub's defaults.
 * Cache: `HF_HUB_CACHE`, else the legacy `HUGGINGFACE_HUB_CACHE`, else `HF_HOME/hub`, where `HF_HOME` defaults
 * to `$XDG_CACHE_HOME/huggingface` or `~/.cache/huggingface`. Token: `HF_TOKEN`, the legacy
 * `HUGGING_FACE_HUB_TOKEN`, then the file `HF_TOKEN_PATH` (default `HF_HOME/token`, written by `huggingface-cli login`).
 */
export function hubSettings(overrides: HubSettingOverrides = {}, env: NodeJS.ProcessEnv = process.env): HubSettings {
  const xdgCache = nonEmpty(env.XDG_CACHE_HOME) ?? join(homedir(), '.cache');
  const hfHome = expandPath(nonEmpty(env.HF_HOME) ?? join(xdgCache, 'huggingface'), env);
  const envCache = nonEmpty(env.HF_HUB_CACHE) ?? nonEmpty(env.HUGGINGFACE_HUB_CACHE);
  const cacheDir = overrides.cacheDir ?? (envCache ? expandPath(envCache, env) : join(hfHome, 'hub'));
  const endpoint = (nonEmpty(overrides.endpoint) ?? nonEmpty(env.HF_ENDPOINT) ?? DEFAULT_ENDPOINT).replace(/\/+$/, '');
  const offline = overrides.offline === true || isTrue(env.HF_HUB_OFFLINE) || isTrue(env.TRANSFORMERS_OFFLINE);

  const settings: HubSettings = { endpoint, cacheDir, hfHome, offline };
  const tokenFile = expandPath(nonEmpty(env.HF_TOKEN_PATH) ?? join(hfHome, 'token'), env);
  const candidates: [string | undefined, TokenSource][] = [
    [nonEmpty(overrides.token), 'setting'],
    [nonEmpty(env.HF_TOKEN), 'HF_TOKEN'],
    [nonEmpty(env.HUGGING_FACE_HUB_TOKEN), 'HUGGING_FACE_HUB_TOKEN'],
  ];
  for (const [token, source] of candidates) {
    if (token) return { ...settings, token, tokenSource: source };
  }
  const fromFile = readTokenFile(tokenFile);
  return fromFile ? { ...settings, token: fromFile, tokenSource: 'token file' } : settings;
}

/** Where a user can put a token, for the messages of 401/403 answers. */
export function tokenHelp(settings: HubSettings): string {
  return (
    'Give a token (https://huggingface.co/settings/tokens) with the VS Code command "XLM: Set Hugging Face Token", --token, or the environment variable HF_TOKEN, ' +
    `or in the file ${join(settings.hfHome, 'token')} (what \`huggingface-cli login\` writes).`
  );
}

/** Where the token in use came from, in words. */
export function describeTokenSource(settings: HubSettings): string {
  switch (settings.tokenSource) {
    case 'setting':
      return 'the token given to XLM Lab (--token, or the VS Code command "XLM: Set Hugging Face Token")';
    case 'token file':
      return `the file ${join(settings.hfHome, 'token')}`;
    case undefined:
      return 'nowhere';
    default:
      return `the environment variable ${settings.tokenSource}`;
  }
}
