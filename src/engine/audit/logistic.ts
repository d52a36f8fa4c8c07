/**
 * Multinomial logistic regression with an L2 penalty, fitted by L-BFGS: the audit's fast out-of-fold classifier
 * over frozen sentence (or word) features. Objective: mean cross-entropy over the rows + (l2 / 2) ||W||² (the
 * bias is not penalised). Convex, so the answer depends on the data and l2, not on a learning rate or a schedule.
 */

export interface LogisticOptions {
  /** Penalty on the weights (default 1e-3). */
  l2?: number;
  /** L-BFGS iterations at most (default 200). */
  iterations?: number;
  /** Stop once the gradient's largest entry is below this (default 1e-5). */
  tolerance?: number;
  /** Called between iterations; return true to stop (cancel). */
  stop?(): boolean;
}

export interface LogisticModel {
  classes: number;
  dim: number;
  /** [classes][dim] row-major, then [classes] biases. */
  params: Float64Array;
}

/**
 * Fits on rows `x` (each `dim` long) with labels in 0..classes-1. Features are used as given: standardise them
 * first (`standardise`) so one l2 suits every column.
 */
export function fitLogistic(x: readonly Float64Array[], labels: ArrayLike<number>, classes: number, o: LogisticOptions = {}): LogisticModel {
  const dim = x[0]?.length ?? 0;
  const l2 = o.l2 ?? 1e-3;
  const n = x.length;
  const size = classes * (dim + 1);
  const logits = new Float64Array(classes);
  const objective = (params: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const row = x[i];
      scores(params, row, classes, dim, logits);
      logSoftmaxInPlace(logits);
      loss -= logits[labels[i]];
      for (let c = 0; c < classes; c++) {
        const g = (Math.exp(logits[c]) - (c === labels[i] ? 1 : 0)) / n;
        if (g === 0) continue;
        const at = c * dim;
        for (let d = 0; d < dim; d++) grad[at + d] += g * row[d];
        grad[classes * dim + c] += g;
      }
    }
    loss /= n;
    let penalty = 0;
    for (let k = 0; k < classes * dim; k++) {
      penalty += params[k] * params[k];
      grad[k] += l2 * params[k];
    }
    return loss + (l2 / 2) * penalty;
  };
  const params = lbfgs(objective, new Float64Array(size), o.iterations ?? 200, o.tolerance ?? 1e-5, o.stop);
  return { classes, dim, params };
}

/** Class probabilities of one row. */
export function predictLogistic(model: LogisticModel, row: Float64Array): Float64Array {
  const out = new Float64Array(model.classes);
  scores(model.params, row, model.classes, model.dim, out);
  logSoftmaxInPlace(out);
  for (let c = 0; c < out.length; c++) out[c] = Math.exp(out[c]);
  return out;
}

/** Column means and standard deviations of `fit`, applied to every row of `rows` (new arrays). */
export function standardise(fit: readonly Float64Array[], rows: readonly Float64Array[]): Float64Array[] {
  const dim = fit[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  const sd = new Float64Array(dim);
  for (const r of fit) for (let d = 0; d < dim; d++) mean[d] += r[d] / fit.length;
  for (const r of fit) for (let d = 0; d < dim; d++) sd[d] += (r[d] - mean[d]) ** 2 / fit.length;
  for (let d = 0; d < dim; d++) sd[d] = Math.sqrt(sd[d]) || 1;
  return rows.map((r) => Float64Array.from(r, (v, d) => (v - mean[d]) / sd[d]));
}

function scores(params: Float64Array, row: Float64Array, classes: number, dim: number, out: Float64Array): void {
  for (let c = 0; c < classes; c++) {
    let s = params[classes * dim + c];
    const at = c * dim;
    for (let d = 0; d < dim; d++) s += params[at + d] * row[d];
    out[c] = s;
  }
}

/** Turns logits into log-probabilities in place. */
function logSoftmaxInPlace(v: Float64Array): void {
  let max = -Infinity;
  for (const x of v) if (x > max) max = x;
  let total = 0;
  for (const x of v) total += Math.exp(x - max);
  const logZ = max + Math.log(total);
  for (let c = 0; c < v.length; c++) v[c] -= logZ;
}

/**
 * Limited-memory BFGS (Nocedal and Wright, algorithm 7.4, memory 10) with a backtracking Armijo line search;
 * minimises f from x0 (which it updates and returns).
 */
function lbfgs(f: (x: Float64Array, grad: Float64Array) => number, x: Float64Array, iterations: number, tolerance: number, stop?: () => boolean): Float64Array {
  const memory = 10;
  const size = x.length;
  const s: Float64Array[] = [];
  const y: Float64Array[] = [];
  const rho: number[] = [];
  let grad = new Float64Array(size);
  let value = f(x, grad);
  const direction = new Float64Array(size);
  const alpha = new Float64Array(memory);
  const next = new Float64Array(size);
  let nextGrad = new Float64Array(size);
  for (let it = 0; it < iterations; it++) {
    if (maxAbs(grad) < tolerance || stop?.()) break;
    // Two-loop recursion: direction = -H grad.
    direction.set(grad);
    for (let j = s.length - 1; j >= 0; j--) {
      alpha[j] = rho[j] * dot(s[j], direction);
      axpy(-alpha[j], y[j], direction);
    }
    const gamma = s.length ? dot(s[s.length - 1], y[y.length - 1]) / dot(y[y.length - 1], y[y.length - 1]) : 1 / Math.max(Math.sqrt(dot(grad, grad)), 1e-12);
    for (let k = 0; k < size; k++) direction[k] *= gamma;
    for (let j = 0; j < s.length; j++) {
      const beta = rho[j] * dot(y[j], direction);
      axpy(alpha[j] - beta, s[j], direction);
    }
    for (let k = 0; k < size; k++) direction[k] = -direction[k];
    let slope = dot(grad, direction);
    if (slope >= 0) {
      // Not a descent direction (curvature went wrong): restart from the gradient.
      s.length = y.length = rho.length = 0;
      for (let k = 0; k < size; k++) direction[k] = -grad[k];
      slope = dot(grad, direction);
    }
    let step = 1;
    let nextValue = Infinity;
    for (let tries = 0; tries < 30; tries++) {
      for (let k = 0; k < size; k++) next[k] = x[k] + step * direction[k];
      nextValue = f(next, nextGrad);
      if (nextValue <= value + 1e-4 * step * slope) break;
      step /= 2;
    }
    if (!(nextValue < value)) break;
    const sk = new Float64Array(size);
    const yk = new Float64Array(size);
    for (let k = 0; k < size; k++) {
      sk[k] = next[k] - x[k];
      yk[k] = nextGrad[k] - grad[k];
    }
    const sy = dot(sk, yk);
    if (sy > 1e-12) {
      if (s.length === memory) {
        s.shift();
        y.shift();
        rho.shift();
      }
      s.push(sk);
      y.push(yk);
      rho.push(1 / sy);
    }
    const converged = value - nextValue < 1e-10 * Math.max(Math.abs(value), 1);
    x.set(next);
    [grad, nextGrad] = [nextGrad, grad];
    value = nextValue;
    if (converged) break;
  }
  return x;
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k] * b[k];
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let k = 0; k < x.length; k++) y[k] += a * x[k];
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) if (Math.abs(x) > m) m = Math.abs(x);
  return m;
}
