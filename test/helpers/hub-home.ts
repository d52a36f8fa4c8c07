/** A throwaway HF_HOME for hub tests, with settings pointing at a fake hub and fast retries. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hubSettings, type HubSettingOverrides, type HubSettings } from '../../src/engine/hub/settings.js';

export interface HubHome {
  home: string;
  /** HF_HOME/hub: where the cache lands. */
  cacheDir: string;
  settings(endpoint: string, overrides?: HubSettingOverrides, env?: NodeJS.ProcessEnv): HubSettings;
  cleanup(): void;
}

export function tempHubHome(): HubHome {
  const home = mkdtempSync(join(tmpdir(), 'xlm-hub-'));
  return {
    home,
    cacheDir: join(home, 'hub'),
    // Only what a test names: the machine's own HF_TOKEN or HF_HUB_OFFLINE must not leak into a test.
    settings: (endpoint, overrides = {}, env = {}) => hubSettings(overrides, { HOME: home, HF_HOME: home, HF_ENDPOINT: endpoint, ...env }),
    cleanup: () => rmSync(home, { recursive: true, force: true }),
  };
}

/** Retries without real waiting, so fault tests stay fast. */
export const FAST_RETRY = { retries: 3, baseDelayMs: 1, maxDelayMs: 5 };
