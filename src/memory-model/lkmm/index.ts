/**
 * The Linux-kernel memory model as a `ConsistencyModel`: lock.cat's axioms, then
 * linux-kernel.cat's, in the files' order, each under its .cat name.
 */
import type { Execution } from '../execution.js';
import type { ConsistencyModel } from '../model.js';
import { Cat } from './cat.js';

export { Cat } from './cat.js';

/** The axioms, in file order (lock.cat is included first). */
export const AXIOMS: readonly { name: string; holds: (c: Cat) => boolean }[] = [
  { name: 'lock-nest', holds: (c) => c.lockNest.isEmpty() },
  { name: 'unmatched-locks', holds: (c) => c.unmatchedLocks.isEmpty() },
  { name: 'coherence', holds: (c) => c.coherenceHolds },
  { name: 'atomic', holds: (c) => c.atomicHolds },
  { name: 'happens-before', holds: (c) => c.hb.acyclic() },
  { name: 'propagation', holds: (c) => c.pb.acyclic() },
  { name: 'rcu', holds: (c) => c.rb.irreflexive() },
  { name: 'plain-coherence', holds: (c) => c.plainIncoherence.isEmpty() },
];

export function failedAxiom(x: Execution): string | undefined {
  const c = new Cat(x);
  return AXIOMS.find((a) => !a.holds(c))?.name;
}

export function lkmmFlags(x: Execution): string[] {
  const c = new Cat(x);
  const flags = [...c.lockFlags(), ...c.bellFlags()];
  if (!c.mixedAccesses.isEmpty()) flags.push('mixed-accesses');
  if (!c.dataRaces.isEmpty()) flags.push('data-race');
  return flags;
}

export const lkmm: ConsistencyModel = {
  name: 'lkmm',
  consistent: (x) => failedAxiom(x) === undefined,
  failedAxiom,
  flags: lkmmFlags,
};
