/** The hub module's public surface: import from here, not from the files behind it. */
export { hubSettings, DEFAULT_ENDPOINT, DEFAULT_REVISION, type HubSettings, type HubSettingOverrides } from './settings.js';
export { downloadRepo, DEFAULT_CONCURRENCY, CONFIRM_BYTES, type DownloadOptions, type DownloadResult, type DownloadPlan } from './download.js';
export { resolveModel, type ResolveOptions, type ResolvedModel } from './resolve.js';
export { listCachedModels, findCachedModel, removeCachedModel, type CachedModel, type CachedRevision, type RemoveResult } from './cache-scan.js';
export { MODEL_PRESETS, findPreset, type ModelPreset, type PresetTask } from './presets.js';
export { selectFiles, DEFAULT_INCLUDE, type FileSelection } from './file-selection.js';
export { RepoCache, repoFolderName, isRepoId, isCommitHash } from './cache-layout.js';
export { formatBytes, type DownloadProgress } from './progress.js';
export type { RetryPolicy } from './http.js';
export type { FetchedFile } from './blob-download.js';
