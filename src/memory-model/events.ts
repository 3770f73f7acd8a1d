/**
 * From a thread's ops (with the values its reads returned) to the events of an execution graph,
 * following how herd7 runs linux-kernel.def's primitives: an RMW is a read and a write linked by
 * `rmw`, an `{mb}` RMW is also wrapped in two F[mb]s, a failed cmpxchg is a read tagged once, and
 * spinlock ops are lock.cat's LKR/LKW/UL/LF/RL/RU (values 0 free, 1 held; see lkmm/lock.ts).
 */
import type { EventTag, MemEvent } from './execution.js';
import type { MmOp, RmwTag } from './ops.js';

/** One executed op: what the thread yielded and what it was sent back (reads, RMWs, trylock...). */
export interface Step {
  op: MmOp;
  /** The value sent back to the thread (the value read; 1/0 for trylock and islocked). */
  result: number;
}

/** An event before it has an id: the engine numbers events when it builds an execution. */
export type EventDraft = Omit<MemEvent, 'id' | 'thread' | 'index' | 'addr' | 'data' | 'ctrl'> & {
  /** Set on the write of an RMW pair: it reads-modifies the draft just before it. */
  rmwWithPrevious?: boolean;
};

const RMW_READ: Record<RmwTag, EventTag> = { mb: 'once', once: 'once', acquire: 'acquire', release: 'once', noreturn: 'noreturn' };
const RMW_WRITE: Record<RmwTag, EventTag> = { mb: 'once', once: 'once', acquire: 'once', release: 'release', noreturn: 'once' };

/** The events one executed op makes, in program order. */
export function stepEvents(step: Step, opIndex: number): EventDraft[] {
  const { op, result } = step;
  const ev = (kind: 'R' | 'W' | 'F', tag: EventTag, loc?: number, value?: number, rmw = false): EventDraft =>
    ({ kind, tag, loc, value, op: opIndex, ...(rmw ? { rmwWithPrevious: true } : {}) });
  switch (op.op) {
    case 'load': return [ev('R', op.tag, op.loc, result)];
    case 'store': return [ev('W', op.tag, op.loc, op.value)];
    case 'rmw': {
      const next = op.update(result);
      if (next === undefined) return [ev('R', 'once', op.loc, result)];
      const pair = [ev('R', RMW_READ[op.tag], op.loc, result), ev('W', RMW_WRITE[op.tag], op.loc, next, true)];
      return op.tag === 'mb' ? [ev('F', 'mb'), ...pair, ev('F', 'mb')] : pair;
    }
    case 'fence': return [ev('F', op.tag)];
    case 'lock': return [ev('R', 'LKR', op.loc, 0), ev('W', 'LKW', op.loc, 1, true)];
    case 'unlock': return [ev('W', 'UL', op.loc, 0)];
    case 'trylock': return result === 1 ? [ev('R', 'LKR', op.loc, 0), ev('W', 'LKW', op.loc, 1, true)] : [ev('R', 'LF', op.loc, 1)];
    case 'islocked': return result === 1 ? [ev('R', 'RL', op.loc, 1)] : [ev('R', 'RU', op.loc, 0)];
    case 'srcu-lock': return [ev('R', 'srcu-lock', op.loc, result)];
    case 'srcu-unlock': return [ev('W', 'srcu-unlock', op.loc, op.value)];
    case 'sync-srcu': return [ev('F', 'sync-srcu', op.loc)];
  }
}

/** The values a read-like op may be sent, given the values its location may hold. */
export function resultChoices(op: MmOp, domain: (loc: number) => Iterable<number>): number[] | undefined {
  switch (op.op) {
    case 'load': case 'rmw': case 'srcu-lock': return [...domain(op.loc)];
    case 'lock': return [0];
    case 'trylock': case 'islocked': return [1, 0];
    default: return undefined;
  }
}

/** The location an op touches, if any. */
export function opLoc(op: MmOp): number | undefined {
  return 'loc' in op ? op.loc : undefined;
}
