/** The data layer's public surface: readers, validation, in-memory datasets, shuffling, splits, inspect. */
export type { ColumnMapping, DataError, DataErrorCode, DataFormat, DataKind, Example, ReadOptions, ReadReport, SourcePosition } from './types.js';
export { formatDataError } from './types.js';
export { DataErrorsError, DEFAULT_MAX_ERRORS } from './issues.js';
export { openDataset, validateDataset, type Dataset } from './dataset.js';
export { detectFormat, type DetectedFormat } from './detect.js';
export { COLUMN_NAMES } from './columns.js';
export { loadDataset, LoadedDataset, idOrder, type DatasetInfo } from './memory.js';
export { shuffleBuffer, shuffleBatches, shuffledIndices, epochOrder, mixSeed, type ShuffleBufferOptions } from './shuffle.js';
export { stratifiedSplit, loadSplits, type Split, type SplitOptions, type SplitFilesOptions } from './split.js';
export { inspectDataset, type DatasetSummary, type InspectOptions, type TokenizeLength, type LengthSummary, type DuplicateSummary } from './inspect.js';
export { detectScript, scriptCounts, languageOfScript, type ScriptName } from './script.js';
export { checkIob2, iob1ToIob2, orderTags, toIob2, TAG_SCHEMES, TagSchemeEvidence, type TagScheme } from './bio.js';
export { readLines, readLineBatches, DEFAULT_MAX_LINE_BYTES, type TextLine } from './lines.js';
