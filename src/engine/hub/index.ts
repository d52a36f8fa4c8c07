/** The hub module's public surface: import from here, not from the files behind it. */
export { hubSettings } from './settings.js';
export { downloadRepo } from './download.js';
export { resolveModel, type ResolveOptions } from './resolve.js';
export { listCachedModels } from './cache-scan.js';
export { formatBytes } from './progress.js';
