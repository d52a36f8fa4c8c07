/**
 * Models offered by name in the model picker and `xlm hub download`. Sizes are APPROXIMATE: what the default
 * file choice would fetch, estimated from parameter counts and the sizes shown on the Hub; they were not
 * measured here (this project's machines cannot reach the Hub). They tell a user "about 1 GB" vs "about 3 GB".
 */

export type PresetTask = 'fill-mask' | 'zero-shot' | 'translation';

export interface ModelPreset {
  id: string;
  title: string;
  task: PresetTask;
  /** Approximate bytes of the default download; never exact. */
  approxBytes: number;
  /** What to know before choosing it. */
  note: string;
  /** Whether the engine can run it straight from the Hub files (false: it needs an export first). */
  runsAsDownloaded: boolean;
}

const GB = 1e9;
const MB = 1e6;

export const MODEL_PRESETS: readonly ModelPreset[] = [
  {
    id: 'xlm-roberta-base',
    title: 'XLM-R base (270M parameters, 100 languages)',
    task: 'fill-mask',
    approxBytes: 1.1 * GB,
    note: 'The usual starting point for fine-tuning; fill-mask out of the box.',
    runsAsDownloaded: true,
  },
  {
    id: 'xlm-roberta-large',
    title: 'XLM-R large (560M parameters, 100 languages)',
    task: 'fill-mask',
    approxBytes: 2.2 * GB,
    note: 'Better accuracy, about 3x slower than base; fine-tuning needs much more memory.',
    runsAsDownloaded: true,
  },
  {
    id: 'joeddav/xlm-roberta-large-xnli',
    title: 'XLM-R large fine-tuned on XNLI (NLI, zero-shot classification)',
    task: 'zero-shot',
    approxBytes: 2.2 * GB,
    note: 'Entailment model for zero-shot classification in 100 languages.',
    runsAsDownloaded: true,
  },
  {
    id: 'Xenova/opus-mt-en-de',
    title: 'Marian opus-mt English → German, ONNX export',
    task: 'translation',
    approxBytes: 0.5 * GB,
    note: 'optimum ONNX layout (encoder + merged decoder, fp32); other opus-mt pairs exist under Xenova/opus-mt-*.',
    runsAsDownloaded: true,
  },
  {
    id: 'Xenova/m2m100_418M',
    title: 'M2M100 418M, 100 languages any-to-any, ONNX export',
    task: 'translation',
    approxBytes: 2.8 * GB,
    note: 'Target language chosen by a language token; fp32 encoder + merged decoder.',
    runsAsDownloaded: true,
  },
  {
    id: 'Helsinki-NLP/opus-mt-en-de',
    title: 'Marian opus-mt English → German (PyTorch original)',
    task: 'translation',
    approxBytes: 300 * MB,
    note: 'Ships PyTorch weights only: export it to ONNX first (optimum-cli export onnx --model Helsinki-NLP/opus-mt-en-de DIR), or use Xenova/opus-mt-en-de.',
    runsAsDownloaded: false,
  },
];

export function findPreset(id: string): ModelPreset | undefined {
  return MODEL_PRESETS.find((p) => p.id === id);
}
