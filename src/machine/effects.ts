/**
 * Effects: the atomic steps a simulated thread can take. Kernel code is written as generators
 * that yield these; each one is a single atomic step and a scheduling point of the explorer.
 * Ghost effects (enter/leave/note) carry trace annotations and run inline, with no step.
 */

/** Width of a memory access in 32-bit words: 1 (u32) or 2 (a 64-bit entry, atomically). */
export type Width = 1 | 2;

/**
 * Oracle 2 check carried by a page-table access: the frame the walker believes it is reading,
 * the allocation generation it saw when it derived the pointer, and the table level.
 */
export interface TableCheck {
  frame: number;
  gen: number;
  level: number;
}

export type Effect =
  /** `follow`: the value is a table entry the walker will follow; the footprint then covers the
   *  use tag of the frame it points to, so that the walker's view of that frame is ordered too. */
  | { op: 'load'; addr: number; width: Width; check?: TableCheck; follow?: boolean }
  | { op: 'store'; addr: number; width: Width; value: number; check?: TableCheck }
  | { op: 'xchg'; addr: number; width: Width; value: number; check?: TableCheck }
  | { op: 'cmpxchg'; addr: number; width: Width; expected: number; value: number; check?: TableCheck }
  /** atomic_add_return on a signed 32-bit word; returns the new value. */
  | { op: 'add'; addr: number; delta: number }
  /** atomic_add_unless(v, delta, unless); returns true when it added. */
  | { op: 'add_unless'; addr: number; delta: number; unless: number }
  /** Atomic bit operation on a word (set_bit, test_and_set_bit_lock, test_and_clear_bit, ...); returns the old word. */
  | { op: 'bitop'; addr: number; set: number; clear: number }
  /** A blocking spinlock; the explorer blocks the thread instead of spinning. */
  | { op: 'spin_lock'; addr: number }
  | { op: 'spin_trylock'; addr: number }
  | { op: 'spin_unlock'; addr: number }
  | { op: 'down_read'; addr: number }
  | { op: 'up_read'; addr: number }
  | { op: 'down_write'; addr: number }
  | { op: 'up_write'; addr: number }
  | { op: 'irq_disable' }
  | { op: 'irq_enable' }
  /** Queue an IPI to each target; returns a ticket for ipi_wait. */
  | { op: 'ipi_send'; targets: number[]; name: string; handler: (cpu: number) => Program<void> }
  /** Block until every IPI of the ticket has completed (the sender of an x86 flush waits). */
  | { op: 'ipi_wait'; ticket: number }
  /** Interrupt entry/exit, yielded only by the runtime-made handler threads. */
  | { op: 'irq_enter'; ipi: number }
  | { op: 'irq_exit'; ipi: number }
  | { op: 'tlb_flush_local'; start: number; end: number }
  /** arm64-style broadcast TLBI: every CPU's TLB, one step, no interrupt. */
  | { op: 'tlbi_broadcast'; start: number; end: number }
  /** A user-mode access through the TLB and the hardware walker; returns the frame or -1. */
  | { op: 'user_access'; vaddr: number; write: boolean }
  | { op: 'rcu_read_lock' }
  | { op: 'rcu_read_unlock' }
  /** synchronize_rcu, first half: snapshot the readers that must finish; returns a ticket. */
  | { op: 'gp_start' }
  /** synchronize_rcu, second half: blocks until every snapshotted reader has finished. */
  | { op: 'gp_wait'; ticket: number }
  /** call_rcu: the callback runs after a grace period, as steps of a thread of its own. */
  | { op: 'call_rcu'; name: string; callback: () => Program<void> }
  /** Page allocator: returns the head frame of a 2^order block, tagged with its use. */
  | { op: 'alloc'; order: number; use: FrameUse }
  | { op: 'free'; frame: number; order: number }
  // ghost effects: no step, no scheduling point
  | { op: 'enter'; fn: string }
  | { op: 'leave' }
  | { op: 'note'; text: string }
  /** the thread starts `name`, the next path of its CPU's sequence (traces mark the boundary) */
  | { op: 'path'; name: string };

export type Program<T> = Generator<Effect, T, unknown>;

/** What a frame is used for; oracle 2 and the trace read this. */
export type FrameUse =
  | { kind: 'free' }
  | { kind: 'data' }
  | { kind: 'table'; level: number }
  | { kind: 'reserved' }
  /** device memory (ZONE_DEVICE, e.g. a dev_dax range): mapped by huge entries, never a page table */
  | { kind: 'device' };

export const GHOST_OPS = new Set(['enter', 'leave', 'note', 'path']);

/** A property violation detected while a step executes (oracles 2, 3, 6). */
export class Violation extends Error {
  constructor(
    readonly property: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * An execution reached kernel code the model leaves out (a fallback, a level it does not walk):
 * not a property of the kernel, and not a bug of the checker, but a scenario outside what the
 * model covers. The search stops and says so (the CLI: exit 3, like other bad input).
 */
export class NotModeled extends Error {
  constructor(readonly what: string) {
    super(`${what} is not modeled`);
  }
}

/**
 * A modeled kernel retry loop reached its bound: the execution is cut there (not a violation)
 * and counted, so that a verdict can say it holds within the bound.
 */
export class LoopBound extends Error {
  constructor(readonly loop: string) {
    super(`loop bound reached in ${loop}`);
  }
}
