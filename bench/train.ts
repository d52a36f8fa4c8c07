/**
 * Training speed: our one-run training step against PyTorch 1.13 (Debian's, plain-PyTorch XLM-R from
 * test/helpers) on the same model size, batch and sequence length, 2 threads each, full fine-tuning and
 * LoRA (r 8 on query/value), seq-cls, AdamW with clipping. Each side runs in its own process; reported:
 * examples/s, peak RSS, the ratio, and achieved FLOP/s against a 1024³ matmul measured in the same run (each
 * side's FLOPs are the work its step does: ours computes only the <s> row past the last layer's keys and values).
 *
 *   npx tsx bench/train.ts [--base] [--steps N] [--repeats N] [--threads N] [--ping-pong]
 *
 * PyTorch runs with OpenBLAS (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp) when that
 * library is installed, else with the reference BLAS it links by default (much slower; stated in the output).
 * --base adds XLM-R base size (12 layers, 768 hidden, vocab 250002; needs ~10 GB per side).
 *
 * Where our step's time goes: XLM_ORT_PROFILE=PREFIX on the worker (bench/train-worker.ts JSON-CONFIG) makes every
 * onnxruntime session write its per-node chrome-trace JSON (PREFIX_<date>.json); sum its "*_kernel_time" events by
 * args.op_name (and args.output_type_shape) per "model_run". The ratio moves with the load on shared cores
 * (PyTorch's spinning OpenMP threads suffer most): compare our step times before and after a change with
 * alternating worker runs, and repeat a bench before believing a ratio.
 *
 * --repeats N (default 3 at the small size, 1 at base) runs the two sides N times, alternating (ours, PyTorch
 * passive, PyTorch spinning, ours, ...), so a slow spell of the shared machine falls on both; each side's figure
 * is its median run (PyTorch: the better policy's median), and every run's examples/s is printed beside it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { XLMR_BASE_SIZES, writeRandomXlmr } from '../src/engine/model/random-model.js';
import type { BenchConfig } from './train-worker.js';

const { values } = parseArgs({ options: { base: { type: 'boolean' }, steps: { type: 'string' }, repeats: { type: 'string' }, threads: { type: 'string' }, 'ping-pong': { type: 'boolean' } } });
const THREADS = Number(values.threads ?? 2);
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-openmp';

const SIZES = {
  small: { vocab_size: 32000, hidden_size: 256, num_hidden_layers: 4, num_attention_heads: 4, intermediate_size: 1024, max_position_embeddings: 514, type_vocab_size: 1 },
  base: XLMR_BASE_SIZES,
};
const CACHE = join(__dirname, '..', '.cache', 'bench');

/** A random model folder of these sizes, written once (the base one is shared with bench/infer.ts). */
function modelFolder(name: string, sizes: BenchConfig['model'] & { type_vocab_size: number }): string {
  const dir = join(CACHE, name === 'base' ? 'xlmr-base-random' : `train-${name}`);
  if (!existsSync(join(dir, 'model.safetensors'))) writeRandomXlmr(dir, { sizes, seed: 1 });
  return dir;
}

/**
 * Multiply-adds ×2 of one training step: forward, plus backward (2× forward for full, ~1× for LoRA's frozen
 * weights). `firstRowOnly`: the last layer computes keys and values for every token but the rest for the `<s>`
 * row alone, as our sequence-classification graph does; PyTorch (HF's model) computes every row.
 */
function stepFlops(m: BenchConfig['model'], batch: number, seq: number, method: 'full' | 'lora', firstRowOnly: boolean): number {
  const h = m.hidden_size;
  const tokens = batch * seq;
  const perLayer = 2 * tokens * (4 * h * h + 2 * h * m.intermediate_size) + 2 * 2 * batch * seq * seq * h;
  const lastLayer = firstRowOnly ? 2 * tokens * 2 * h * h + 2 * batch * (2 * h * h + 2 * h * m.intermediate_size) + 2 * 2 * batch * seq * h : perLayer;
  const forward = (m.num_hidden_layers - 1) * perLayer + lastLayer;
  return forward * (method === 'full' ? 3 : 2);
}

type Measured = { examples_per_s: number; step_s: number; peak_rss_mb: number; matmul_gflops: number; setup_s: number; trainable: number };

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Measured {
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${command} ${args[0]} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** The run with the median examples/s (the lower middle one for an even count). */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.examples_per_s - b.examples_per_s);
  return sorted[(sorted.length - 1) >> 1];
}

function main() {
  const torchEnv = existsSync(join(OPENBLAS, 'libblas.so.3')) ? { LD_LIBRARY_PATH: OPENBLAS, OMP_NUM_THREADS: String(THREADS) } : { OMP_NUM_THREADS: String(THREADS) };
  const blas = 'LD_LIBRARY_PATH' in torchEnv ? `OpenBLAS (openmp, OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE ?? 'auto'})` : 'reference BLAS';
  const sizes: [string, typeof SIZES.small, number, number, number][] = [['small', SIZES.small, 16, 128, Number(values.steps ?? 10)]];
  if (values.base) sizes.push(['base', SIZES.base, 8, 128, Number(values.steps ?? 3)]);
  console.log(`threads ${THREADS}; PyTorch ${blas}`);
  for (const [name, model, batch, seq, steps] of sizes) {
    for (const method of ['full', 'lora'] as const) {
      const config: BenchConfig = { modelDir: modelFolder(name, model), model, method, batch, seq, steps, threads: THREADS, inPlace: values['ping-pong'] !== true };
      const repeats = Number(values.repeats ?? (name === 'base' ? 1 : 3));
      const oursRuns: Measured[] = [];
      const passiveRuns: Measured[] = [];
      const spinningRuns: Measured[] = [];
      for (let r = 0; r < repeats; r++) {
        oursRuns.push(run(process.execPath, ['--import', 'tsx', join(__dirname, 'train-worker.ts'), JSON.stringify(config)], {}));
        // PyTorch's OpenMP threads spin by default; on a loaded machine that costs it up to 3x, so it runs both
        // ways and its better figure counts.
        // At base size a run takes minutes; passive waits won every comparison there, so only they run.
        passiveRuns.push(run('/usr/bin/python3', [join(__dirname, 'train_torch.py'), JSON.stringify(config)], { ...torchEnv, OMP_WAIT_POLICY: 'PASSIVE' }));
        if (name !== 'base') spinningRuns.push(run('/usr/bin/python3', [join(__dirname, 'train_torch.py'), JSON.stringify(config)], torchEnv));
      }
      const ours = median(oursRuns);
      const passive = median(passiveRuns);
      const spinning = spinningRuns.length ? median(spinningRuns) : { ...passive, examples_per_s: 0 };
      const theirs: Measured & { policy: string } = passive.examples_per_s > spinning.examples_per_s ? { ...passive, policy: 'PASSIVE' } : { ...spinning, policy: 'default' };
      const runsOf = (ms: Measured[]) => ms.map((m) => +m.examples_per_s.toFixed(2));
      const flops = stepFlops(model, batch, seq, method, true);
      const torchFlops = stepFlops(model, batch, seq, method, false);
      const line = {
        size: name, method, batch, seq, steps, repeats, in_place: config.inPlace,
        ours_examples_per_s: +ours.examples_per_s.toFixed(2), torch_examples_per_s: +theirs.examples_per_s.toFixed(2),
        torch_omp_wait_policy: theirs.policy, torch_examples_per_s_other_policy: +(theirs.policy === 'PASSIVE' ? spinning : passive).examples_per_s.toFixed(2),
        ratio: +(ours.examples_per_s / theirs.examples_per_s).toFixed(2),
        ours_peak_rss_mb: Math.round(ours.peak_rss_mb), torch_peak_rss_mb: Math.round(theirs.peak_rss_mb),
        ours_gflops: +(flops / ours.step_s / 1e9).toFixed(1), torch_gflops: +(torchFlops / theirs.step_s / 1e9).toFixed(1),
        ort_matmul_peak_gflops: +ours.matmul_gflops.toFixed(1), torch_matmul_peak_gflops: +theirs.matmul_gflops.toFixed(1),
        ours_setup_s: +ours.setup_s.toFixed(1), trainable: ours.trainable,
        ours_runs: runsOf(oursRuns), torch_runs: runsOf(theirs.policy === 'PASSIVE' ? passiveRuns : spinningRuns),
      };
      console.log(JSON.stringify(line));
    }
  }
}

main();
