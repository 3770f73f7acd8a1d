/**
 * What one MmOp does as events, given the value its read saw: the events it makes in program
 * order (with their linux-kernel.bell / lock.cat tags), the value handed back to the thread, the
 * value it writes, and whether it waits (a spin_lock that saw the lock held). Engines that build
 * executions from ops (the graph explorer, brute-force enumerators) share this one mapping.
 *
 * herd7's mapping (linux-kernel.def): a value-returning RMW with `mb` ordering is
 * F[mb]; R(once); W(once); F[mb]; `acquire` is R(acquire) W(once); `release` R(once) W(release);
 * `once` both once; `noreturn` (atomic_add and friends) R(noreturn) W(once). A cmpxchg that fails
 * is a single R(once) and orders nothing.
 */
import type { EventKind, EventTag } from './execution.js';
import type { MmOp } from './ops.js';

/** One event an op makes: `read` and `write` are its memory accesses, `fence` a barrier. */
export interface OpEvent {
  part: 'read' | 'write' | 'fence';
  kind: EventKind;
  tag: EventTag;
}

export interface OpEffect {
  /** The value the thread receives (a load's value, trylock's 1 or 0, ...); 0 for ops that do not read. */
  result: number;
  /** The value written after the read (if any); undefined when the op writes nothing. */
  write: number | undefined;
  /** A spin_lock that saw the lock held: the thread waits here. */
  blocked: boolean;
  /** The op's events in program order. */
  events: OpEvent[];
}

const R = (tag: EventTag): OpEvent => ({ part: 'read', kind: 'R', tag });
const W = (tag: EventTag): OpEvent => ({ part: 'write', kind: 'W', tag });
const F = (tag: EventTag): OpEvent => ({ part: 'fence', kind: 'F', tag });

/** Does the op begin with a read (its effect then depends on the value seen)? */
export function reads(op: MmOp): boolean {
  switch (op.op) {
    case 'load': case 'rmw': case 'lock': case 'trylock': case 'islocked': case 'srcu-lock': return true;
    default: return false;
  }
}

/** The location an op accesses; undefined for barriers without one. */
export function opLoc(op: MmOp): number | undefined {
  return op.op === 'fence' ? undefined : op.loc;
}

/** The op's effect; `seen` is the value its read returned (ignored for ops that do not read). */
export function opEffect(op: MmOp, seen: number): OpEffect {
  switch (op.op) {
    case 'load': return { result: seen, write: undefined, blocked: false, events: [R(op.tag)] };
    case 'store': return { result: 0, write: op.value, blocked: false, events: [W(op.tag)] };
    case 'fence': return { result: 0, write: undefined, blocked: false, events: [F(op.tag)] };
    case 'rmw': {
      const v = op.update(seen);
      if (v === undefined) return { result: seen, write: undefined, blocked: false, events: [R('once')] };
      return { result: seen, write: v, blocked: false, events: rmwEvents(op.tag) };
    }
    case 'lock':
      return seen === 0
        ? { result: 0, write: 1, blocked: false, events: [R('LKR'), W('LKW')] }
        : { result: 0, write: undefined, blocked: true, events: [] };
    case 'unlock': return { result: 0, write: 0, blocked: false, events: [W('UL')] };
    case 'trylock':
      return seen === 0
        ? { result: 1, write: 1, blocked: false, events: [R('LKR'), W('LKW')] }
        : { result: 0, write: undefined, blocked: false, events: [R('LF')] };
    case 'islocked':
      return { result: seen === 0 ? 0 : 1, write: undefined, blocked: false, events: [R(seen === 0 ? 'RU' : 'RL')] };
    case 'srcu-lock': return { result: seen, write: undefined, blocked: false, events: [R('srcu-lock')] };
    case 'srcu-unlock': return { result: 0, write: op.value, blocked: false, events: [W('srcu-unlock')] };
    case 'sync-srcu': return { result: 0, write: undefined, blocked: false, events: [F('sync-srcu')] };
  }
}

function rmwEvents(tag: 'once' | 'acquire' | 'release' | 'mb' | 'noreturn'): OpEvent[] {
  switch (tag) {
    case 'mb': return [F('mb'), R('once'), W('once'), F('mb')];
    case 'acquire': return [R('acquire'), W('once')];
    case 'release': return [R('once'), W('release')];
    case 'once': return [R('once'), W('once')];
    case 'noreturn': return [R('noreturn'), W('once')];
  }
}
