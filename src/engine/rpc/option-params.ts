/**
 * The request param that carries each engine option, so an engine error naming an option (errors.ts's field) names
 * the param the extension sent: train/start's learningRate is the engine's lr (rpc/training.ts maps them).
 */
const PARAM_OF_OPTION: Record<string, string> = {
  lr: 'learningRate',
  loraR: 'loraRank',
  train: 'data',
  eval: 'evalData',
  out: 'runFolder',
  // translate's
  to: 'targetLang',
  from: 'sourceLang',
};

export function paramOf(option: string): string {
  return PARAM_OF_OPTION[option] ?? option;
}
