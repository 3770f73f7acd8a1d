/**
 * Sequential consistency as an axiomatic model: po ∪ rf ∪ co ∪ fr acyclic, and RMWs atomic.
 * The cross-check for the interleaving explorer (which is SC by construction) and for LKMM
 * (whose outcomes must include SC's).
 */
import type { Execution } from './execution.js';
import { Herd } from './lkmm/herd.js';
import type { ConsistencyModel } from './model.js';

export function scFailedAxiom(x: Execution): string | undefined {
  const h = new Herd(x);
  if (!h.rmw.inter(h.fre.seq(h.coe)).isEmpty()) return 'atomic';
  if (!h.po.union(h.rf, h.co, h.fr).acyclic()) return 'sc';
  return undefined;
}

export const sc: ConsistencyModel = {
  name: 'sc',
  consistent: (x) => scFailedAxiom(x) === undefined,
  failedAxiom: scFailedAxiom,
};
