/** Evaluation metrics: classification/NLI, entity-level NER, masked-LM, per language, and the XNLI-style table. */
export { classificationMetrics, prf, type ClassificationMetrics, type ClassMetrics } from './classification.js';
export { entityMetrics, extractEntities, type Entity, type EntityMetrics, type EntityTypeMetrics } from './ner.js';
export { MlmMetricAccumulator, MlmMetricsByLanguage, mlmMetrics, rankOf, IGNORE_INDEX, type MlmMetrics } from './mlm.js';
export {
  perLanguage,
  groupByLanguage,
  classificationByLanguage,
  entityMetricsByLanguage,
  flattenPerLanguage,
  classificationSummary,
  entitySummary,
  type PerLanguage,
} from './by-language.js';
export { formatLanguageTable, languageTable, orderLanguages, type LanguageTableRow, type LanguageTableOptions } from './table.js';
