/** The data layer's public surface: readers, validation, in-memory datasets, shuffling, splits, inspect. */
export type { DataError, DataFormat, DataKind, ReadOptions } from './types.js';
export { loadDataset, LoadedDataset } from './memory.js';
export { assertReadable } from './dataset.js';
export { shuffledIndices, epochOrder, mixSeed } from './shuffle.js';
export { stratifiedSplit } from './split.js';
export { inspectDataset, type DatasetSummary, type InspectOptions } from './inspect.js';
export { detectScript, languageOfScript } from './script.js';
export { decodeWhole } from './encoding.js';
export { TAG_SCHEMES, type TagScheme } from './bio.js';
export { DEFAULT_MAX_LINE_BYTES } from './lines.js';
export { readQaFile, looksLikeQa, utf16Offset, codePointOffset, type QaExample, type QaDataset, type QaReadOptions } from './qa.js';
export { inspectQaFile, formatQaSummary } from './qa-inspect.js';
