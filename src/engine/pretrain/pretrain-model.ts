/**
 * The model pre-training trains: a fresh XLM-R (config.json as transformers writes it for
 * XLMRobertaForMaskedLM), initialised as HF's _init_weights does (normal(0, initializer_range) for Linear
 * and Embedding weights with their padding row zeroed, LayerNorm 1 and 0, biases 0) or, with the recipe's
 * "init": "structured", from structured-init.ts's start (neighbour heads in layer 0, the masked-LM bias at
 * the pieces' log-frequencies) with HF's values everywhere else; with the loss of
 * the objectives as a LossBuilder for the training engine's step graph:
 *   masked-LM cross-entropy over every masked token of the batch (MLM, TLM, NSP and RANK rows alike)
 *   + with NSP, the cross-entropy of a binary head on `<s>` (dense + tanh + projection, BERT's pooler and
 *   seq_relationship)
 *   + with RANK, RANK_WEIGHT times the translation-ranking loss of the mean-pooled last hidden states.
 * The NSP head exists only while pre-training: the saved folder is an XLMRobertaForMaskedLM.
 */
import { add, crossEntropy, div, gather, gemmTransB, mul, reduceSum, sqrt, tanh, transposeLast } from '../graph/ops/index.js';
import type { Value } from '../graph/graph.js';
import { parseXlmrConfig, xlmrConfigJson, type XlmrConfig } from '../hf/config.js';
import { ARCHITECTURE_OF_HEAD, EMBEDDINGS, MLM_HEAD } from '../hf/names.js';
import { meanPool } from '../model/inference.js';
import { buildEncoder, buildMlmHead, selectRows } from '../model/xlmr.js';
import { TrainContext } from '../train/context.js';
import type { LossBuilder } from '../train/step-graph.js';
import { createRng } from '../rng/rng.js';
import { structuredInit, logFrequencyBias } from './structured-init.js';
import type { PretrainInit, PretrainRecipe } from './recipe.js';

export const INITIALIZER_RANGE = 0.02;
/** Names of the pre-training-only NSP head (not saved). */
export const NSP_HEAD = { dense: 'nsp_head.dense', out: 'nsp_head.out_proj' } as const;

/** config.json of the pre-trained model, as transformers' XLMRobertaConfig writes it. */
export function pretrainConfigJson(recipe: PretrainRecipe, vocabSize: number): Record<string, unknown> {
  return xlmrConfigJson({
    architecture: ARCHITECTURE_OF_HEAD.mlm,
    sizes: {
      vocab_size: vocabSize,
      hidden_size: recipe.model.hidden,
      num_hidden_layers: recipe.model.layers,
      num_attention_heads: recipe.model.heads,
      intermediate_size: recipe.model.intermediate,
      // Real tokens sit at positions 2 .. maxLength + 1 (pad offset), as in XLM-R's 514 for 512 tokens.
      max_position_embeddings: recipe.maxLength + 2,
      type_vocab_size: 1,
    },
    dropout: recipe.dropout,
    initializerRange: INITIALIZER_RANGE,
  });
}

export function pretrainConfig(recipe: PretrainRecipe, vocabSize: number): XlmrConfig {
  return parseXlmrConfig(pretrainConfigJson(recipe, vocabSize), 'config.json');
}

/** HF's _init_weights for one tensor. */
export function initialWeight(name: string, shape: number[], rng: ReturnType<typeof createRng>, padId: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (/layer_?norm\.weight$/i.test(name)) return new Float32Array(n).fill(1);
  if (name.endsWith('.bias')) return new Float32Array(n);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal(0, INITIALIZER_RANGE);
  if (name === EMBEDDINGS.word || name === EMBEDDINGS.position) data.fill(0, padId * shape[1], (padId + 1) * shape[1]);
  return data;
}

export interface PretrainLoss {
  build: LossBuilder;
  /** Every weight's initial value, by HF name (drawn once, on the first build). */
  initial: Map<string, Float32Array>;
}

/** LaBSE's scale on the cosine similarities of translation ranking (a temperature of 0.05). */
export const RANK_SCALE = 20;
/**
 * The ranking loss's weight beside masked-LM, measured on the default recipe (2,500 steps; fill-mask as a multiple
 * of the unigram baseline, pairs = the demo's held-out pair accuracy): 0.2: 3.02x, pairs 0.738, retrieval 57%;
 * 0.3: 2.93x, 0.743, 60%; 0.4: 2.94x, 0.782, 62%; 0.6: masked-LM never leaves its start (0.54x), the ranking
 * gradients swamping it under the global clip. 0.4 sits below that edge. (Those figures at learning rate 3e-3,
 * where seed 1 stalled masked-LM at 1.67x and seed 2 gave 2.96x; at the default's 2e-3, seeds 0, 1 and 2 gave
 * 2.97x, 2.94x and 3.03x, pairs 0.818, 0.810 and 0.823: recipes/default.json.)
 */
export const RANK_WEIGHT = 0.4;

/**
 * Translation ranking over rows of one batch: each row's mean over its real tokens (`mask` 1) of the last
 * hidden state [batch, seq, hidden] (meanPool, the pooling `embed` runs), scaled to unit length; pair i is rows
 * first[i] and second[i]; scores[i][j] = RANK_SCALE * cos(first i, second j); the loss is the mean of the
 * cross-entropies of each row (class labels[i] = i) and each column, so both directions rank.
 */
export function translationRankingLoss(hidden: Value, mask: Value, first: Value, second: Value, labels: Value): Value {
  const pooled = meanPool(hidden, mask);
  const unit = (v: Value) => div(v, sqrt(add(reduceSum(mul(v, v), [1], true), 1e-12)));
  const scores = mul(gemmTransB(unit(gather(pooled, first, 0)), unit(gather(pooled, second, 0))), RANK_SCALE);
  return mul(add(crossEntropy(scores, labels), crossEntropy(transposeLast(scores), labels)), 0.5);
}

export interface PretrainLossOptions {
  /** The ranking loss's weight (default RANK_WEIGHT). */
  rankWeight?: number;
  /** Start from these weights (a second stage) instead of drawing them; a weight missing here is an error. */
  start?: ReadonlyMap<string, Float32Array>;
}

export function pretrainLoss(config: XlmrConfig, withNsp: boolean, withRank: boolean, seed: number, init: PretrainInit = 'hf', tokenCounts?: ArrayLike<number>, options: PretrainLossOptions = {}): PretrainLoss {
  const rng = createRng(seed);
  const rankWeight = options.rankWeight ?? RANK_WEIGHT;
  const initial = options.start ? new Map(options.start) : init === 'structured' ? structuredInit(config, rng, INITIALIZER_RANGE) : new Map<string, Float32Array>();
  // The structured start's MLM bias needs the pieces' counts; without them (a caller with no corpus) it keeps HF's zeros.
  if (!options.start && init === 'structured' && tokenCounts) initial.set(MLM_HEAD.bias, logFrequencyBias(tokenCounts));
  const initialize = (name: string, shape: number[]): Float32Array => {
    let data = initial.get(name);
    if (!data && options.start) throw new Error(`a later stage's starting weights have no ${name}`);
    if (!data) initial.set(name, (data = initialWeight(name, shape, rng, config.pad_token_id)));
    return data;
  };
  const build: LossBuilder = (graph, randomKey, mode = 'train') => {
    const ctx = new TrainContext(graph, config, { weight: (name) => initial.get(name), initialize, trainable: () => true, randomKey, ...(mode === 'eval' ? { dropoutOverride: 0 } : {}) });
    const ids = graph.input('input_ids', 'int64', ['batch', 'seq']);
    const mask = graph.input('attention_mask', 'int64', ['batch', 'seq']);
    const positions = graph.input('position_ids', 'int64', ['batch', 'seq']);
    const hidden = buildEncoder(ctx, ids, mask, undefined, positions);
    const mlmPositions = graph.input('mlm_positions', 'int64', ['masked']);
    const mlmLabels = graph.input('mlm_labels', 'int64', ['masked']);
    let loss = crossEntropy(buildMlmHead(ctx, selectRows(hidden, mlmPositions)), mlmLabels);
    if (withRank) {
      const ranking = translationRankingLoss(hidden, mask, graph.input('rank_first', 'int64', ['pairs']), graph.input('rank_second', 'int64', ['pairs']), graph.input('rank_labels', 'int64', ['pairs']));
      loss = add(loss, mul(ranking, rankWeight));
    }
    if (withNsp) {
      const h = config.hidden_size;
      const cls = selectRows(hidden, graph.input('nsp_positions', 'int64', ['nsp']));
      const pooled = tanh(ctx.linear(NSP_HEAD.dense, ctx.dropout(cls, config.hidden_dropout_prob, 'nsp_head.dropout'), h, h));
      const logits = ctx.linear(NSP_HEAD.out, pooled, h, 2);
      loss = add(loss, crossEntropy(logits, graph.input('nsp_labels', 'int64', ['nsp'])));
    }
    return { loss, trainable: ctx.trainable, frozen: ctx.frozen };
  };
  return { build, initial };
}
