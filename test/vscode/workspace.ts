// The workspace the VS Code tests open: a tiny random XLM-R model (masked-LM and classification heads), a tiny NER
// model with known tags and a text file of names (entity highlights), a tiny Marian translator with English-French
// parallel text, a text file with sentences (hover, fill-in), translations of one of them in two data files (hover),
// a small labelled multilingual data file (fine-tune, evaluate; a copy with a
// conflicting duplicate for the label audit) and a run
// folder with a metrics.jsonl (dashboard). Run as `node --import tsx test/vscode/workspace.ts DIR`.
import fs from 'node:fs';
import path from 'node:path';
import { writeTinyXlmr } from '../helpers/tiny-model.js';
import { writeTinyNerModel } from '../helpers/tiny-ner-model.js';
import { writeTinyHfSeq2Seq } from '../helpers/tiny-hf-seq2seq.js';

/** Article 1 of the Universal Declaration of Human Rights. */
const ARTICLE_1 = {
  en: 'All human beings are born free and equal in dignity and rights. They are endowed with reason and conscience and should act towards one another in a spirit of brotherhood.',
  de: 'Alle Menschen sind frei und gleich an Würde und Rechten geboren. Sie sind mit Vernunft und Gewissen begabt und sollen einander im Geist der Brüderlichkeit begegnen.',
  fr: 'Tous les êtres humains naissent libres et égaux en dignité et en droits. Ils sont doués de raison et de conscience et doivent agir les uns envers les autres dans un esprit de fraternité.',
  es: 'Todos los seres humanos nacen libres e iguales en dignidad y derechos y, dotados como están de razón y conciencia, deben comportarse fraternalmente los unos con los otros.',
};

export function writeTestWorkspace(dir: string): string {
  writeTinyXlmr(path.join(dir, 'models', 'tiny'), { head: 'all', labels: ['negative', 'positive'] });
  writeTinyXlmr(path.join(dir, 'models', 'tiny-nli'), { head: 'seq-cls', labels: ['entailment', 'neutral', 'contradiction'], seed: 7 });
  // A pair classifier as `xlm train` saves one from examples/pairs: it must not label single sentences.
  const pair = path.join(dir, 'models', 'tiny-pair');
  writeTinyXlmr(pair, { head: 'seq-cls', labels: ['not_translation', 'translation'], seed: 9 });
  const pairConfig = path.join(pair, 'config.json');
  fs.writeFileSync(pairConfig, JSON.stringify({ ...JSON.parse(fs.readFileSync(pairConfig, 'utf8')), xlm_lab: { input: 'pair' } }, null, 2));
  // A token-classification model whose tags are known (test/helpers/tiny-ner-model.ts) and a file it finds entities in.
  writeTinyNerModel(path.join(dir, 'models', 'tiny-ner'), { Anna: 'B-PER', Schmidt: 'I-PER', Lena: 'B-PER', Berlin: 'B-LOC', Paris: 'B-LOC', Siemens: 'B-ORG' });
  fs.writeFileSync(path.join(dir, 'people.txt'), 'Anna Schmidt lives in Berlin.\nSiemens opened an office in Paris.\nNothing to see here.\n');
  // A small examples/ folder shaped like the repository's (Open the sample data reveals it).
  fs.mkdirSync(path.join(dir, 'examples', 'langid'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'examples', 'README.md'), '# Demo workspace data\n\nlangid/train.jsonl: language identification.\n');
  fs.writeFileSync(path.join(dir, 'examples', 'langid', 'train.jsonl'), ['{"text": "All human beings are born free.", "label": "eng"}', '{"text": "Alle Menschen sind frei geboren.", "label": "deu"}'].join('\n') + '\n');
  // A tiny Marian translator (HF folder, no ONNX yet) and English-French parallel text for translation fine-tuning.
  writeTinyHfSeq2Seq(path.join(dir, 'models', 'tiny-marian'), 'marian', { seed: 4 });
  const parallel: [string, string][] = [
    ['The cat sleeps.', 'Le chat dort.'], ['The dog runs.', 'Le chien court.'], ['I love Paris.', "J'aime Paris."], ['Good morning.', 'Bonjour.'],
    ['Thank you.', 'Merci.'], ['The house is big.', 'La maison est grande.'], ['We are here.', 'Nous sommes ici.'], ['The sun shines.', 'Le soleil brille.'],
  ];
  fs.writeFileSync(path.join(dir, 'parallel.tsv'), ['en\tfr', ...parallel.map(([s, t]) => `${s}\t${t}`)].join('\n') + '\n');
  fs.mkdirSync(path.join(dir, 'runs', 'demo-run'), { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'notes.txt'),
    'The weather is lovely today. I am very happy with it.\nDas Wetter ist heute schrecklich.\nParis is the <mask> of France.\n' +
      `${ARTICLE_1.en}\n`,
  );
  // The hover's possible translations: article 1 of the UDHR in three more languages, the French row also in a
  // second file (listed once, with both places).
  const declaration = (langs: (keyof typeof ARTICLE_1)[]) => langs.map((lang) => JSON.stringify({ text: ARTICLE_1[lang], lang })).join('\n') + '\n';
  fs.writeFileSync(path.join(dir, 'declaration.jsonl'), declaration(['de', 'fr', 'es']));
  fs.writeFileSync(path.join(dir, 'declaration-copy.jsonl'), declaration(['fr']));
  const rows: [string, string, string][] = [
    ['I love this film', 'positive', 'en'], ['This is terrible', 'negative', 'en'], ['What a great day', 'positive', 'en'],
    ['Ich liebe diesen Film', 'positive', 'de'], ['Das ist schrecklich', 'negative', 'de'], ['Was für ein toller Tag', 'positive', 'de'],
    ["J'adore ce film", 'positive', 'fr'], ["C'est terrible", 'negative', 'fr'], ['Quelle belle journée', 'positive', 'fr'],
    ['I hate waiting', 'negative', 'en'], ['Ich hasse das Warten', 'negative', 'de'], ["Je déteste attendre", 'negative', 'fr'],
  ];
  fs.writeFileSync(path.join(dir, 'sentiment.jsonl'), rows.map(([text, label, lang]) => JSON.stringify({ text, label, lang })).join('\n') + '\n');
  // For the label audit: lines 13 and 14 repeat line 1's text, 13 with the other label: a conflict the audit always
  // flags, with the majority's label (line 1's and 14's) suggested; lines 15 and 16 repeat line 5's, 16 with the other
  // label: a second such flag, which must stay in place when the first is fixed.
  const audited = [...rows, ['I love this film!', 'negative', 'en'], ['I LOVE this film', 'positive', 'en'], ['Das ist schrecklich!', 'negative', 'de'], ['DAS IST SCHRECKLICH', 'positive', 'de']];
  fs.writeFileSync(path.join(dir, 'audit.jsonl'), audited.map(([text, label, lang]) => JSON.stringify({ text, label, lang })).join('\n') + '\n');
  const lines: object[] = [];
  for (let step = 1; step <= 30; step++) {
    lines.push({ step, epoch: step / 10, loss: 1.2 * Math.exp(-step / 12) + 0.1, lr: 5e-5 * Math.min(1, step / 5) * (1 - step / 31), grad_norm: 2 / Math.sqrt(step), examples_per_s: 40 + (step % 3), tokens_per_s: 1200 + 10 * (step % 5) });
    if (step % 10 === 0) {
      const acc = 0.5 + step / 80;
      lines.push({ step, epoch: step / 10, eval: { accuracy: acc, f1: acc - 0.03, 'accuracy/en': acc + 0.05, 'accuracy/de': acc - 0.02, 'accuracy/fr': acc - 0.04 }, labels: ['negative', 'positive'], confusion: [[4, 2], [1, 5]] });
    }
  }
  fs.writeFileSync(path.join(dir, 'runs', 'demo-run', 'metrics.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'runs', 'demo-run', 'run.json'), JSON.stringify({ model: 'tiny-xlmr', task: 'sequence-classification', method: 'lora', epochs: 3, batchSize: 4, learningRate: 5e-5, loraRank: 8 }, null, 2));
  return dir;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(__filename)) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: node --import tsx test/vscode/workspace.ts DIR');
  writeTestWorkspace(dir);
}
