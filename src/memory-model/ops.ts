/**
 * The memory-model layer's thread protocol. A thread is a generator that yields one `MmOp` per
 * memory event and receives the value a read returned. Engines (the LKMM enumerator, the
 * execution-graph explorer, the SC adapter onto the interleaving explorer) re-run a thread from
 * its start as often as they need, so a thread must be a pure function of the values it reads.
 *
 * Ops carry the LKMM kind of the access, as tools/memory-model/linux-kernel.def maps the kernel
 * API onto herd7's primitives (`__load{once}`, `__store{release}`, `__fence{mb}`, ...), and the
 * syntactic dependencies (addr, data, ctrl) on earlier reads of the same thread, as herd7 computes
 * them from register dataflow.
 */

/** Access tags of linux-kernel.bell (`'once`, `'acquire`, `'release`, `'noreturn`), plus plain C. */
export type LoadTag = 'plain' | 'once' | 'acquire';
export type StoreTag = 'plain' | 'once' | 'release';
/** Ordering of a read-modify-write as linux-kernel.def gives it: `mb` (xchg, cmpxchg, value-returning
 * atomics), `once` (_relaxed), `acquire`, `release`, or `noreturn` (atomic_add and friends). */
export type RmwTag = 'once' | 'acquire' | 'release' | 'mb' | 'noreturn';
/** Fence tags of linux-kernel.bell's Barriers enum, plus the compiler barrier(). */
export type FenceTag =
  | 'mb' | 'rmb' | 'wmb' | 'barrier'
  | 'before-atomic' | 'after-atomic' | 'after-spinlock' | 'after-unlock-lock'
  | 'rcu-lock' | 'rcu-unlock' | 'sync-rcu';

/** Indices (0-based, in yield order within the thread) of earlier ops whose read value flows into
 * this op: into its address, into the value it writes, or into a branch that decided to reach it. */
export interface OpDeps {
  addr: readonly number[];
  data: readonly number[];
  ctrl: readonly number[];
}

export const NO_DEPS: OpDeps = { addr: [], data: [], ctrl: [] };

export type MmOp =
  | { op: 'load'; loc: number; tag: LoadTag; deps: OpDeps }
  | { op: 'store'; loc: number; value: number; tag: StoreTag; deps: OpDeps }
  /** Returns the old value. `update(old)` gives the value written, or `undefined` when the RMW
   *  fails (a cmpxchg whose old value differs): then it is a read only, tagged `once`. */
  | { op: 'rmw'; loc: number; tag: RmwTag; update: (old: number) => number | undefined; deps: OpDeps }
  | { op: 'fence'; tag: FenceTag; deps: OpDeps }
  /** spin_lock: an LKR/LKW pair (lock.cat). Blocks (no execution) until the lock is free. */
  | { op: 'lock'; loc: number; deps: OpDeps }
  /** spin_unlock: UL. */
  | { op: 'unlock'; loc: number; deps: OpDeps }
  /** spin_trylock: returns 1 with an LKR/LKW pair, or 0 with an LF read. */
  | { op: 'trylock'; loc: number; deps: OpDeps }
  /** spin_is_locked: returns 1 with an RL read, or 0 with an RU read. */
  | { op: 'islocked'; loc: number; deps: OpDeps }
  /** srcu_read_lock: a read of the srcu_struct (v6.3's exact SRCU semantics); returns the cookie. */
  | { op: 'srcu-lock'; loc: number; deps: OpDeps }
  /** srcu_read_unlock: a write of the cookie to the srcu_struct. */
  | { op: 'srcu-unlock'; loc: number; value: number; deps: OpDeps }
  /** synchronize_srcu: a grace-period fence on one srcu_struct. */
  | { op: 'sync-srcu'; loc: number; deps: OpDeps };

/** Final values of a thread's registers, by name. */
export type Registers = Record<string, number>;

/** One thread: re-runnable from its start; yields ops, receives read values, returns registers. */
export type ThreadProgram = () => Generator<MmOp, Registers, number>;

/** A whole program: threads, initial memory (locations absent from `init` start at 0). */
export interface MmProgram {
  threads: ThreadProgram[];
  init: ReadonlyMap<number, number>;
}

/** One consistent execution's observable result. */
export interface Outcome {
  /** Per thread, its final registers. */
  registers: Registers[];
  /** Per location written or initialised, its final (coherence-last) value. */
  memory: Map<number, number>;
  /** LKMM flags the execution raised (`data-race`, `mixed-accesses`, ...). */
  flags: string[];
}

/** What an engine returns: the outcome of every consistent execution it explored. */
export interface EngineResult {
  outcomes: Outcome[];
  /** Consistent executions explored (herd7's count of candidate executions that pass). */
  executions: number;
  /** Candidates rejected by an axiom, by axiom name (for statistics and tests). */
  rejected: Record<string, number>;
  /** False when a budget stopped the search: the outcomes are then a subset. */
  complete: boolean;
}
