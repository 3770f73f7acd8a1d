/**
 * An execution graph: events with their program order, reads-from and coherence order, as the
 * axiomatic models (herd7's candidate executions, GenMC's execution graphs) see a run.
 *
 * Event ids are dense 0..n-1; the initial writes (herd7's IW) come first, one per location, in
 * thread -1. Each thread's events follow in program order. A successful RMW is two events, a
 * read and a write, linked by `rmw` (lock.cat's lk-rmw for spin_lock is the same link).
 */
import type { FenceTag } from './ops.js';

export type EventKind = 'R' | 'W' | 'F';

/**
 * Tags as sets of linux-kernel.bell / lock.cat: access tags (`once`, `acquire`, `release`,
 * `noreturn`, `plain`), fence tags (FenceTag), lock events (`LKR`, `LKW`, `UL`, `LF`, `RL`, `RU`),
 * SRCU (`srcu-lock` is a read, `srcu-unlock` a write, `sync-srcu` a fence on a location) and
 * `IW` for an initial write.
 */
export type EventTag =
  | 'plain' | 'once' | 'acquire' | 'release' | 'noreturn'
  | FenceTag
  | 'LKR' | 'LKW' | 'UL' | 'LF' | 'RL' | 'RU'
  | 'srcu-lock' | 'srcu-unlock' | 'sync-srcu'
  | 'IW';

export interface MemEvent {
  id: number;
  /** -1 for initial writes. */
  thread: number;
  /** Position in the thread's program order (0-based); -1 for initial writes. */
  index: number;
  kind: EventKind;
  tag: EventTag;
  /** Location for R and W (and sync-srcu); undefined for other fences. */
  loc?: number;
  /** Value read or written. */
  value?: number;
  /** Yield index of the op that made it (an RMW's read and write share one). */
  op: number;
  /** Syntactic dependencies from earlier reads of the same thread, as event ids. */
  addr: number[];
  data: number[];
  ctrl: number[];
}

export interface Execution {
  events: MemEvent[];
  /** Number of threads. */
  threads: number;
  /** rf: for each read event id, the id of the write it reads from. */
  rf: Map<number, number>;
  /** co: per location, the write ids in coherence order (the initial write first). */
  co: Map<number, number[]>;
  /** rmw: read id -> write id of the same atomic operation (including lock.cat's lk-rmw). */
  rmw: Map<number, number>;
}
