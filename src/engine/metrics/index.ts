/** Evaluation metrics: classification/NLI, entity-level NER, masked-LM, per language, and the XNLI-style table. */
export { classificationMetrics, type ClassMetrics } from './classification.js';
export { entityMetrics, type EntityMetrics, type EntityTypeMetrics } from './ner.js';
export { MlmMetricsByLanguage, rankOf } from './mlm.js';
export { classificationByLanguage, entityMetricsByLanguage } from './by-language.js';
export { formatLanguageTable, orderLanguages } from './table.js';
