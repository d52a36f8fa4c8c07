/**
 * A model per feature. Each slot is a feature (fill-in, the hover's label, NLI, translation, entities, question
 * answering) with the capability a model needs to serve it; a folder's capabilities come from the engine
 * (model/capabilities: config.json and the weights' headers). The list is data: a new feature adds a row.
 *
 * Which folder serves a slot: its own setting (`xlm.models.<slot>`), else `xlm.model` when that folder fits the
 * slot (the one setting of earlier versions keeps working for every feature it can serve), else the slot's
 * default (the shipped model for fill-in), else none: the feature says so where the user looks.
 */
import * as vscode from 'vscode';
import type * as p from '../engine/rpc/protocol.js';
import { resolveInWorkspace, setting, shippedModel } from './config.js';

export type SlotId = 'fillMask' | 'classifier' | 'nli' | 'translation' | 'tokenClassification' | 'questionAnswering';

export interface Slot {
  id: SlotId;
  /** The feature in words, for menus and messages. */
  label: string;
  /** Where the user meets it. */
  serves: string;
  /** Whether a folder with these capabilities can serve the slot. */
  fits(c: Pick<p.ModelCapabilities, 'capabilities'>): boolean;
  /** What a fitting model has, in words, for a message about one that does not. */
  needs: string;
  /** An older setting read when the slot's own is empty. */
  legacySetting?: string;
  /** The slot's model when nothing is set (the shipped model for fill-in). */
  fallback?: () => string;
}

const has = (capability: p.ModelCapability) => (c: Pick<p.ModelCapabilities, 'capabilities'>) => c.capabilities.includes(capability);

export const SLOTS: readonly Slot[] = [
  { id: 'fillMask', label: 'Fill-mask', serves: 'inline fill-in and the masked-word panel', fits: has('fill-mask'), needs: 'a masked-language-model head', fallback: shippedModel },
  { id: 'classifier', label: 'Classifier', serves: 'the hover label and Classify selection', fits: has('classify'), needs: 'a classifier of single texts' },
  { id: 'nli', label: 'NLI', serves: 'the NLI panel and zero-shot labels', fits: has('nli'), needs: 'a pair classifier whose labels are entailment, neutral and contradiction' },
  { id: 'translation', label: 'Translation', serves: 'Translate selection and the hover translation', fits: has('translate'), needs: 'a translation model exported to ONNX (encoder and decoder files)', legacySetting: 'translationModel' },
  { id: 'tokenClassification', label: 'Entities', serves: 'entity highlights (NER)', fits: has('token-classify'), needs: 'a token-classification head' },
  { id: 'questionAnswering', label: 'Question answering', serves: 'question answering', fits: has('question-answering'), needs: 'a question-answering head' },
];

export function slot(id: SlotId): Slot {
  return SLOTS.find((s) => s.id === id)!;
}

export interface SlotModel {
  /** Absolute folder (or a Hub id for translation), '' when the slot has none. */
  dir: string;
  /** What people call it: the folder's name, a Hub id, or "the default model". */
  name: string;
  source: 'setting' | 'xlm.model' | 'default' | 'none';
  /** The name of `xlm.model` when it is set but cannot serve this slot (and nothing else does). */
  unfit?: string;
}

/** The name of a folder for people: a Hub snapshot's repo id, the shipped model's name, else the folder's name. */
export function modelName(dir: string): string {
  if (!dir) return 'none';
  if (dir === shippedModel()) return 'the default model';
  const hub = /models--([^/\\]+)[/\\]snapshots[/\\]/.exec(dir);
  if (hub) return hub[1]!.replace(/--/g, '/');
  return dir.split(/[/\\]/).filter(Boolean).at(-1) ?? dir;
}

export function slotSettingKey(id: SlotId): string {
  return `models.${id}`;
}

/** A translation model may be a Hub id (org/name): kept as written; folders resolve against the workspace. */
function resolveValue(value: string, id: SlotId): string {
  if (id === 'translation' && /^[\w.-]+\/[\w.-]+$/.test(value) && !value.startsWith('.')) return value;
  return resolveInWorkspace(value);
}

/**
 * The folder that serves a slot. `capabilities` answers for `xlm.model` (only asked when that is set and the
 * slot's own setting is not).
 */
export async function slotModel(id: SlotId, capabilities: (dir: string) => Promise<p.ModelCapabilities | undefined>): Promise<SlotModel> {
  const s = slot(id);
  const own = setting<string>(slotSettingKey(id), '').trim() || (s.legacySetting ? setting<string>(s.legacySetting, '').trim() : '');
  if (own) {
    const dir = resolveValue(own, id);
    return { dir, name: modelName(dir), source: 'setting' };
  }
  const general = setting<string>('model', '').trim();
  let unfit: string | undefined;
  if (general) {
    const dir = resolveInWorkspace(general);
    const caps = await capabilities(dir);
    if (caps && s.fits(caps)) return { dir, name: modelName(dir), source: 'xlm.model' };
    unfit = modelName(dir);
  }
  const fallback = s.fallback?.() ?? '';
  return fallback ? { dir: fallback, name: modelName(fallback), source: 'default' } : { dir: '', name: 'none', source: 'none', unfit };
}

/** Writes a slot's setting in the user's settings (a model picked by the user is theirs). */
export async function setSlotModel(id: SlotId, dir: string): Promise<void> {
  await vscode.workspace.getConfiguration('xlm').update(slotSettingKey(id), dir, vscode.ConfigurationTarget.Global);
}

export function affectsSlots(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration('xlm.model') || e.affectsConfiguration('xlm.translationModel') || e.affectsConfiguration('xlm.models');
}
