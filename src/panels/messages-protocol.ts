/**
 * The webviews' copies of engine types (messages.ts) are the protocol's types: a field added, removed or retyped on
 * either side fails `npm run typecheck` here. This file may import both; the webview scripts import only messages.ts.
 */
import type * as protocol from '../engine/rpc/protocol.js';
import type * as messages from './messages.js';

/** true when X and Y are the same type (every field, nested ones and optionality included); else false. */
type Same<X, Y> = (<T>() => T extends X ? 1 : 2) extends (<T>() => T extends Y ? 1 : 2) ? true : false;

/** Fails to compile when any copy differs from the protocol's type. */
export const messagesMatchTheProtocol: [true, true, true, true, true] = [
  true as Same<messages.LabelScore, protocol.LabelScore>,
  true as Same<messages.FillMaskResult, protocol.FillMaskResult>,
  true as Same<messages.NliResult, protocol.NliResult>,
  true as Same<messages.MetricsRecord, protocol.MetricsRecord>,
  true as Same<messages.RunVerdict, protocol.TrainVerdict>,
];
