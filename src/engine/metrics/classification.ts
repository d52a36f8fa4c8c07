/**
 * Single-label classification metrics (sequence classification, NLI), with scikit-learn's definitions:
 * precision tp/(tp+fp), recall tp/(tp+fn), F1 their harmonic mean, each 0 when its denominator is 0; macro =
 * unweighted mean over the classes, micro = from the summed counts, weighted = mean weighted by support.
 * The confusion matrix has gold labels as rows and predictions as columns.
 */

export interface ClassMetrics {
  label: string;
  precision: number;
  recall: number;
  f1: number;
  /** Gold rows of this class. */
  support: number;
}

export interface ClassificationMetrics {
  count: number;
  accuracy: number;
  macroPrecision: number;
  macroRecall: number;
  macroF1: number;
  microPrecision: number;
  microRecall: number;
  microF1: number;
  weightedF1: number;
  perClass: ClassMetrics[];
  confusion: { labels: string[]; matrix: number[][] };
}

/**
 * `labels` fixes the class list (its order is the matrix order, and macro averages over all of it, absent
 * classes included, as scikit-learn does when given labels); without it, the sorted classes seen in gold or
 * predictions are used.
 */
export function classificationMetrics(gold: readonly string[], predicted: readonly string[], labels?: readonly string[]): ClassificationMetrics {
  if (gold.length !== predicted.length) throw new Error(`classificationMetrics: ${gold.length} gold labels but ${predicted.length} predictions`);
  const classes = labels ? [...labels] : [...new Set([...gold, ...predicted])].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = classes.length;
  const matrix = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  let correct = 0;
  for (let i = 0; i < gold.length; i++) {
    const g = index.get(gold[i]);
    const p = index.get(predicted[i]);
    if (g === undefined || p === undefined) {
      throw new Error(`classificationMetrics: label '${g === undefined ? gold[i] : predicted[i]}' is not in the label list (${classes.join(', ')})`);
    }
    matrix[g][p]++;
    if (g === p) correct++;
  }

  const perClass: ClassMetrics[] = [];
  let tpSum = 0;
  let fpSum = 0;
  let fnSum = 0;
  for (let c = 0; c < n; c++) {
    const tp = matrix[c][c];
    let support = 0;
    let predictedAs = 0;
    for (let k = 0; k < n; k++) {
      support += matrix[c][k];
      predictedAs += matrix[k][c];
    }
    tpSum += tp;
    fpSum += predictedAs - tp;
    fnSum += support - tp;
    perClass.push({ label: classes[c], ...prf(tp, predictedAs, support), support });
  }
  const micro = prf(tpSum, tpSum + fpSum, tpSum + fnSum);
  const mean = (pick: (m: ClassMetrics) => number): number => (n === 0 ? 0 : perClass.reduce((s, m) => s + pick(m), 0) / n);
  const totalSupport = perClass.reduce((s, m) => s + m.support, 0);
  return {
    count: gold.length,
    accuracy: gold.length === 0 ? 0 : correct / gold.length,
    macroPrecision: mean((m) => m.precision),
    macroRecall: mean((m) => m.recall),
    macroF1: mean((m) => m.f1),
    microPrecision: micro.precision,
    microRecall: micro.recall,
    microF1: micro.f1,
    weightedF1: totalSupport === 0 ? 0 : perClass.reduce((s, m) => s + m.f1 * m.support, 0) / totalSupport,
    perClass,
    confusion: { labels: classes, matrix },
  };
}

/** Precision, recall and F1 from true positives, predicted positives and gold positives (0 where undefined). */
export function prf(truePositives: number, predictedPositives: number, goldPositives: number): { precision: number; recall: number; f1: number } {
  const precision = predictedPositives === 0 ? 0 : truePositives / predictedPositives;
  const recall = goldPositives === 0 ? 0 : truePositives / goldPositives;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
