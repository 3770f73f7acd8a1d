/**
 * Kernel variables of a user's model (a driver's flag, a sequence word, a counter): a word of
 * static kernel memory, named in traces, and the accesses to it. Each access is one step the
 * explorer interleaves; the locks (spin_lock, down_read, ...) take such a word's address too.
 */
import type { Program } from '../../machine/effects.js';
import type { Kernel } from '../kernel.js';

/** A new kernel word holding `init`, shown as `name` in traces. Call it while laying out the
 * world (a layout's or setup's apply), not from a path: memory is carved out at boot. */
export function kernel_word(k: Kernel, name: string, init = 0): number {
  const addr = k.machine.mem.reserveStatic(1);
  k.machine.mem.words[addr] = init;
  k.names.set(addr, name);
  return addr;
}

/** READ_ONCE(x) of a kernel word. */
export function* read_word(addr: number): Program<number> {
  return (yield { op: 'load', addr, width: 1 }) as number;
}

/** WRITE_ONCE(x, v) of a kernel word. */
export function* write_word(addr: number, v: number): Program<void> {
  yield { op: 'store', addr, width: 1, value: v };
}

/** xchg(&x, v): the old value. */
export function* xchg(addr: number, v: number): Program<number> {
  return (yield { op: 'xchg', addr, width: 1, value: v }) as number;
}

/** cmpxchg(&x, old, v): stores v only if x is old; returns the value found. */
export function* cmpxchg(addr: number, old: number, v: number): Program<number> {
  return (yield { op: 'cmpxchg', addr, width: 1, expected: old, value: v }) as number;
}

/** atomic_add_return(delta, &x) on a signed word: the new value. */
export function* atomic_add_return(addr: number, delta: number): Program<number> {
  return (yield { op: 'add', addr, delta }) as number;
}
