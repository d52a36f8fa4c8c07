/**
 * Training speed: our one-run training step against PyTorch 1.13 (Debian's, plain-PyTorch XLM-R from
 * test/helpers) on the same model size, batch and sequence length, 2 threads each, full fine-tuning and
 * LoRA (r 8 on query/value), seq-cls, AdamW with clipping. Each side runs in its own process; reported:
 * examples/s, peak RSS, the ratio, and achieved FLOP/s against a 1024³ matmul measured in the same run (each
 * side's FLOPs are the work its step does: ours computes only the <s> row past the last layer's keys and values).
 *
 *   npx tsx bench/train.ts [--base | --base-only] [--method full|lora] [--steps N] [--repeats N] [--threads N]
 *   npx tsx bench/train.ts --quick   (the small size only, 3 timed steps, 3 rounds, PyTorch in its default setup alone
 *                                     (spinning OpenMP threads, default malloc): a few minutes on 2 quiet cores; a
 *                                     check, not the record)
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
 * Each side times --steps steps (default 10 small, 5 base) after two untimed warm-up steps (printed: the first
 * steps also page-fault in the step's memory, a cost paid once per run); ours runs as the product trains, with glibc's huge-page
 * malloc (src/client/malloc.ts), and PyTorch in four setups (TORCH_SETUPS: OpenMP spinning or passive,
 * default or huge-page malloc), of which its best counts.
 *
 * --openblas-coretype NAME forces PyTorch's OpenBLAS kernels (Haswell: AVX2); by default an inherited OPENBLAS_CORETYPE is
 * dropped so that OpenBLAS picks its own, as a user's PyTorch does.
 *
 * --repeats N (default 3) runs the sides N times, alternating (ours, then each PyTorch setup, ours, ...), so a slow
 * spell of the shared machine falls on all; each side's figure is its median run (PyTorch: its best setup's median),
 * every run's examples/s is printed beside it, and `ratio_spread` gives the lowest and highest of the per-round
 * ratios (ours over PyTorch's best setup in the same round). PyTorch's line names the kernels OpenBLAS picked on
 * this CPU (`torch_blas_core`, from openblas_get_corename): compare against the ones a user's PyTorch would use.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { XLMR_BASE_SIZES, writeRandomXlmr } from '../src/engine/model/random-model.js';
import { withHugePageMalloc } from '../src/client/malloc.js';
import type { BenchConfig } from './train-worker.js';

const { values } = parseArgs({ options: { base: { type: 'boolean' }, steps: { type: 'string' }, repeats: { type: 'string' }, threads: { type: 'string' }, 'base-only': { type: 'boolean' }, 'openblas-coretype': { type: 'string' }, quick: { type: 'boolean' }, method: { type: 'string' } } });
const METHODS = values.method ? [values.method] : ['full', 'lora'];
if (!METHODS.every((m) => m === 'full' || m === 'lora')) throw new Error(`--method is full or lora, got ${values.method}`);
const QUICK = values.quick === true;
if (QUICK && (values.base || values['base-only'])) throw new Error('--quick measures the small size only; leave out --base and --base-only');
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

type Measured = { examples_per_s: number; step_s: number; peak_rss_mb: number; matmul_gflops: number; setup_s: number; trainable: number; huge_page_malloc?: boolean; warmup_step_times_s: number[]; step_times_s?: number[]; blas_core?: string | null };

/**
 * PyTorch's setups: OpenMP threads spinning (its default) or passive (on a loaded machine spinning costs it up to
 * 3x), each with glibc's default malloc and with the huge-page malloc our training processes use (it gains less
 * from it: it allocates fewer parameter-sized temporaries). At base size a run takes minutes and passive waits won
 * every comparison there, so only those run.
 */
const TORCH_SETUPS: { name: string; policy: 'PASSIVE' | 'default'; env: NodeJS.ProcessEnv }[] = [
  { name: 'passive', policy: 'PASSIVE', env: { OMP_WAIT_POLICY: 'PASSIVE' } },
  { name: 'passive+hugepages', policy: 'PASSIVE', env: withHugePageMalloc({ OMP_WAIT_POLICY: 'PASSIVE' }) },
  { name: 'spinning', policy: 'default', env: {} },
  { name: 'spinning+hugepages', policy: 'default', env: withHugePageMalloc({}) },
];

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Measured {
  // The malloc setting is the setup's own, never inherited from the shell running the bench; so is OpenBLAS's core:
  // some machines export OPENBLAS_CORETYPE=Haswell (AVX2), which would hold PyTorch below the kernels OpenBLAS picks
  // for this CPU by itself (a user's PyTorch). --openblas-coretype forces one on purpose.
  const { GLIBC_TUNABLES: _inherited, OPENBLAS_CORETYPE: _core, ...inherited } = process.env;
  const r = spawnSync(command, args, { encoding: 'utf8', env: { ...inherited, ...env }, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${command} ${args[0]} failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

/** [lowest, highest] of the per-round ratios, two decimals. */
function spread(ratios: number[]): [number, number] {
  return [+Math.min(...ratios).toFixed(2), +Math.max(...ratios).toFixed(2)];
}

/** The run with the median examples/s (the lower middle one for an even count). */
function median(runs: Measured[]): Measured {
  const sorted = [...runs].sort((a, b) => a.examples_per_s - b.examples_per_s);
  return sorted[(sorted.length - 1) >> 1];
}

function main() {
  const forcedCore = values['openblas-coretype'] ? { OPENBLAS_CORETYPE: values['openblas-coretype'] } : {};
  const torchEnv = existsSync(join(OPENBLAS, 'libblas.so.3')) ? { LD_LIBRARY_PATH: OPENBLAS, OMP_NUM_THREADS: String(THREADS), ...forcedCore } : { OMP_NUM_THREADS: String(THREADS) };
  const blas = 'LD_LIBRARY_PATH' in torchEnv ? `OpenBLAS (openmp, core ${values['openblas-coretype'] ? `forced to ${values['openblas-coretype']}` : 'its own choice'}; each line's torch_blas_core names it)` : 'reference BLAS';
  const sizes: [string, typeof SIZES.small, number, number, number][] = values['base-only'] ? [] : [['small', SIZES.small, 16, 128, Number(values.steps ?? (QUICK ? 3 : 10))]];
  if (values.base || values['base-only']) sizes.push(['base', SIZES.base, 8, 128, Number(values.steps ?? 5)]);
  console.log(`threads ${THREADS}; PyTorch ${blas}${QUICK ? '; --quick: PyTorch in its default setup only (spinning, default malloc)' : ''}`);
  for (const [name, model, batch, seq, steps] of sizes) {
    for (const method of METHODS as ('full' | 'lora')[]) {
      const config: BenchConfig = { modelDir: modelFolder(name, model), model, method, batch, seq, steps, threads: THREADS };
      const repeats = Number(values.repeats ?? 3);
      const oursRuns: Measured[] = [];
      const setups = TORCH_SETUPS.filter((t) => (name !== 'base' || t.policy === 'PASSIVE') && (!QUICK || t.name === 'spinning'));
      const torchRuns = new Map<string, Measured[]>(setups.map((t) => [t.name, []]));
      for (let r = 0; r < repeats; r++) {
        // Ours as the product runs training (the engine and the `xlm` launcher ask for huge-page malloc).
        oursRuns.push(run(process.execPath, ['--import', 'tsx', join(__dirname, 'train-worker.ts'), JSON.stringify(config)], withHugePageMalloc({})));
        for (const setup of TORCH_SETUPS) {
          const runs = torchRuns.get(setup.name);
          if (runs) runs.push(run('/usr/bin/python3', [join(__dirname, 'train_torch.py'), JSON.stringify(config)], { ...torchEnv, ...setup.env }));
        }
      }
      const ours = median(oursRuns);
      // PyTorch's figure is its best setup's median: the peer at its best of what we tried.
      const medians = [...torchRuns].map(([setup, runs]) => ({ setup, runs, ...median(runs) }));
      const theirs = medians.reduce((a, b) => (b.examples_per_s > a.examples_per_s ? b : a));
      const runsOf = (ms: Measured[]) => ms.map((m) => +m.examples_per_s.toFixed(2));
      const flops = stepFlops(model, batch, seq, method, true);
      const torchFlops = stepFlops(model, batch, seq, method, false);
      const line = {
        size: name, method, batch, seq, steps, repeats,
        ours_examples_per_s: +ours.examples_per_s.toFixed(2), torch_examples_per_s: +theirs.examples_per_s.toFixed(2),
        torch_setup: theirs.setup, torch_setups: Object.fromEntries(medians.map((m) => [m.setup, +m.examples_per_s.toFixed(2)])),
        ours_huge_page_malloc: ours.huge_page_malloc, ours_step_times_s: ours.step_times_s, ours_warmup_step_times_s: ours.warmup_step_times_s, torch_warmup_step_times_s: theirs.warmup_step_times_s,
        ratio: +(ours.examples_per_s / theirs.examples_per_s).toFixed(2),
        ours_peak_rss_mb: Math.round(ours.peak_rss_mb), torch_peak_rss_mb: Math.round(theirs.peak_rss_mb),
        ours_gflops: +(flops / ours.step_s / 1e9).toFixed(1), torch_gflops: +(torchFlops / theirs.step_s / 1e9).toFixed(1),
        ort_matmul_peak_gflops: +ours.matmul_gflops.toFixed(1), torch_matmul_peak_gflops: +theirs.matmul_gflops.toFixed(1),
        ours_setup_s: +ours.setup_s.toFixed(1), trainable: ours.trainable,
        ours_runs: runsOf(oursRuns), torch_runs: runsOf(theirs.runs),
        ratio_spread: spread(oursRuns.map((o, i) => o.examples_per_s / theirs.runs[i]!.examples_per_s)),
        torch_blas_core: theirs.blas_core ?? 'not OpenBLAS',
      };
      console.log(JSON.stringify(line));
    }
  }
}

main();
