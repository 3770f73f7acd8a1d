/**
 * Sequential consistency through the interleaving explorer: each MmOp becomes effects of the
 * simulated machine (src/machine/effects.ts) on plain memory words, one CPU per thread, and
 * optimal DPOR (src/explore/odpor.ts) runs every interleaving up to trace equivalence. Each
 * complete execution gives an Outcome: the threads' registers and the final words. This is the
 * cross-check of issue 12: the same programs as the axiomatic engines, through the explorer the
 * kernel model uses.
 *
 * The lowering, op by op:
 *  - load, store: one load or store step. Values are signed 32-bit, stored as unsigned words.
 *  - rmw: `update` is an arbitrary function of the old value, so it is a load, then a cmpxchg
 *    from the value read to update(old), retried from the value the cmpxchg saw until it
 *    succeeds (or update says the RMW fails: then it was a read). Under SC this has exactly the
 *    outcomes of an atomic RMW: the successful cmpxchg (or the last read) is its atomic point, and
 *    each retry needs another thread's write in between, so every execution is finite.
 *  - fences: no-ops, except RCU's. Under SC every access is already ordered, so mb, rmb, wmb,
 *    barrier, before/after-atomic and the lock fences have nothing to order.
 *  - rcu_read_lock/unlock: the machine's RCU read-side sections; synchronize_rcu: a grace period
 *    (gp_start snapshots the CPUs in a read-side section, gp_wait blocks until each has left it).
 *  - spin_lock/unlock/trylock: the machine's spinlock on the lock's word (0 free, 1 held);
 *    spin_is_locked: a load, 1 when the word is not 0.
 *  - SRCU, on words of the adapter's own (the machine's RCU is global, SRCU is per srcu_struct):
 *    srcu_read_lock reads the struct (the cookie, as herd7's `srcu-lock` read does) and, when the
 *    thread enters its outermost section on that struct, marks a fresh section word "inside" (-1)
 *    and publishes its number in the thread's current-section word; srcu_read_unlock writes the
 *    cookie back and clears both. synchronize_srcu reads each thread's current-section word and
 *    waits (a down_read, enabled once the word is not negative) for the section it saw to end.
 *    Reading the threads one by one instead of in one snapshot gives the same outcomes: a section
 *    that starts after the first read may be waited for too, and a grace period may always last
 *    longer; every run with one instantaneous snapshot is the run where the reads come together.
 *
 * An execution that deadlocks (a lock never released, a grace period that waits for its own
 * read-side section) or breaks the machine's rules (an unlock of a free lock) has no outcome; it is
 * counted in `rejected`.
 */
import { type Effect, type Program, Violation } from '../machine/effects.js';
import { Machine } from '../machine/machine.js';
import { Geometry } from '../machine/mmu.js';
import { exploreOptimal } from '../explore/odpor.js';
import type { World } from '../explore/runtime.js';
import type { EngineResult, MmOp, MmProgram, Outcome, Registers } from './ops.js';

export interface ScOptions {
  /** Most executions to run before giving up (complete: false). */
  budget?: number;
}

/** Words the adapter may use: the program's locations and the SRCU bookkeeping. */
const WORDS = 4096;

/** The program's locations and the adapter's own words, numbered in the order first met (the same in every execution). */
class WordMap {
  private readonly words = new Map<string, number>();
  private readonly names: string[] = [];
  of(key: string): number {
    let w = this.words.get(key);
    if (w === undefined) {
      if (this.names.length === WORDS) throw new Error(`the program needs more than ${WORDS} memory words`);
      w = this.names.length;
      this.words.set(key, w);
      this.names.push(key);
    }
    return w;
  }
  name(w: number): string {
    return this.names[w] ?? `word ${w}`;
  }
}

/** Every SC outcome of the program, one per interleaving class the explorer runs. */
export function scInterleavings(program: MmProgram, opts: ScOptions = {}): EngineResult {
  const words = new WordMap();
  const result: EngineResult = { outcomes: [], executions: 0, rejected: {}, complete: true };
  const outcomes = new WeakMap<World, () => Outcome>();
  const make = (): World => {
    const { world, outcome } = buildWorld(program, words);
    outcomes.set(world, outcome);
    return world;
  };
  const r = exploreOptimal(make, {
    reduction: 'optimal',
    stopAtViolation: false,
    maxExecutions: opts.budget,
    onExecution: (exec) => {
      if (exec.violation || exec.cut) {
        const why = exec.violation?.property ?? 'cut';
        result.rejected[why] = (result.rejected[why] ?? 0) + 1;
        return;
      }
      result.executions++;
      result.outcomes.push(outcomes.get(exec.world)!());
    },
  });
  if (r.budget) result.complete = false;
  return result;
}

function buildWorld(program: MmProgram, words: WordMap): { world: World; outcome: () => Outcome } {
  const n = program.threads.length;
  const geometry = new Geometry({ bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 1 } });
  const machine = new Machine({ cpus: Math.max(1, n), frames: 1, staticWords: WORDS, geometry });
  const base = machine.mem.reserveStatic(WORDS);
  const mem = machine.mem.words;
  const addr = (key: string): number => base + words.of(key);
  const locAddr = (loc: number): number => addr(`loc ${loc}`);
  const written = new Set<number>(program.init.keys());
  for (const [loc, v] of program.init) mem[locAddr(loc)] = v >>> 0;
  const results: Registers[] = Array.from({ length: n }, () => ({}));
  const ctx: Ctx = { n, addr, locAddr, written };
  const programs = program.threads.map((t, tid) => ({ name: `P${tid}`, cpu: tid, program: adapt(t(), tid, ctx, results) }));
  const world: World = {
    machine,
    programs,
    symbol: (a) => words.name(a - base),
    finalCheck: () => null,
  };
  const outcome = (): Outcome => {
    const memory = new Map<number, number>();
    for (const loc of written) memory.set(loc, mem[locAddr(loc)] | 0);
    return { registers: results.map((r) => ({ ...r })), memory, flags: [] };
  };
  return { world, outcome };
}

interface Ctx {
  n: number;
  addr(key: string): number;
  locAddr(loc: number): number;
  /** Locations initialised or written in this execution (the outcome's memory). */
  written: Set<number>;
}

/** One thread as a machine program: each MmOp run as effects, the thread sent what they return. */
function* adapt(thread: Generator<MmOp, Registers, number>, tid: number, ctx: Ctx, results: Registers[]): Program<void> {
  const srcu = new SrcuThread(tid, ctx);
  let r = thread.next();
  while (!r.done) {
    const value = yield* effects(r.value, ctx, srcu);
    r = thread.next(value);
  }
  results[tid] = r.value;
}

function* effects(op: MmOp, ctx: Ctx, srcu: SrcuThread): Generator<Effect, number, unknown> {
  switch (op.op) {
    case 'load':
      return yield* load(ctx.locAddr(op.loc));
    case 'store':
      ctx.written.add(op.loc);
      yield { op: 'store', addr: ctx.locAddr(op.loc), width: 1, value: op.value >>> 0 };
      return 0;
    case 'rmw':
      return yield* rmw(op.loc, op.update, ctx);
    case 'fence':
      if (op.tag === 'rcu-lock') yield { op: 'rcu_read_lock' };
      else if (op.tag === 'rcu-unlock') yield { op: 'rcu_read_unlock' };
      else if (op.tag === 'sync-rcu') {
        const ticket = (yield { op: 'gp_start' }) as number;
        yield { op: 'gp_wait', ticket };
      }
      return 0;
    case 'lock':
      ctx.written.add(op.loc);
      yield { op: 'spin_lock', addr: ctx.locAddr(op.loc) };
      return 0;
    case 'unlock':
      yield { op: 'spin_unlock', addr: ctx.locAddr(op.loc) };
      return 0;
    case 'trylock': {
      const got = (yield { op: 'spin_trylock', addr: ctx.locAddr(op.loc) }) as boolean;
      if (got) ctx.written.add(op.loc);
      return got ? 1 : 0;
    }
    case 'islocked':
      return (yield* load(ctx.locAddr(op.loc))) !== 0 ? 1 : 0;
    case 'srcu-lock':
      return yield* srcu.lock(op.loc);
    case 'srcu-unlock':
      return yield* srcu.unlock(op.loc, op.value);
    case 'sync-srcu':
      return yield* srcu.synchronize(op.loc);
  }
}

function* load(addr: number): Generator<Effect, number, unknown> {
  return ((yield { op: 'load', addr, width: 1 }) as number) | 0;
}

function* rmw(loc: number, update: (old: number) => number | undefined, ctx: Ctx): Generator<Effect, number, unknown> {
  const addr = ctx.locAddr(loc);
  let old = yield* load(addr);
  for (;;) {
    const next = update(old);
    if (next === undefined) return old;
    const seen = ((yield { op: 'cmpxchg', addr, width: 1, expected: old >>> 0, value: next >>> 0 }) as number) | 0;
    if (seen === old) {
      ctx.written.add(loc);
      return old;
    }
    old = seen;
  }
}

/** One thread's SRCU read-side sections: nesting per srcu_struct, and the words the grace periods watch. */
class SrcuThread {
  private readonly nesting = new Map<number, number>();
  /** Sections entered so far per srcu_struct: each gets a word of its own. */
  private readonly sections = new Map<number, number>();

  constructor(
    readonly tid: number,
    readonly ctx: Ctx,
  ) {}

  private current(loc: number, tid: number): number {
    return this.ctx.addr(`srcu ${loc} P${tid} current`);
  }
  private section(loc: number, tid: number, k: number): number {
    return this.ctx.addr(`srcu ${loc} P${tid} section ${k}`);
  }

  *lock(loc: number): Generator<Effect, number, unknown> {
    const cookie = yield* load(this.ctx.locAddr(loc));
    const depth = this.nesting.get(loc) ?? 0;
    this.nesting.set(loc, depth + 1);
    if (depth === 0) {
      const k = this.sections.get(loc) ?? 0;
      this.sections.set(loc, k + 1);
      yield { op: 'store', addr: this.section(loc, this.tid, k), width: 1, value: 0xffffffff };
      yield { op: 'store', addr: this.current(loc, this.tid), width: 1, value: k + 1 };
    }
    return cookie;
  }

  *unlock(loc: number, cookie: number): Generator<Effect, number, unknown> {
    this.ctx.written.add(loc);
    yield { op: 'store', addr: this.ctx.locAddr(loc), width: 1, value: cookie >>> 0 };
    const depth = this.nesting.get(loc) ?? 0;
    if (depth === 0) throw new Violation('assertion', 'srcu_read_unlock without srcu_read_lock');
    this.nesting.set(loc, depth - 1);
    if (depth === 1) {
      const k = this.sections.get(loc)! - 1;
      yield { op: 'store', addr: this.section(loc, this.tid, k), width: 1, value: 0 };
      yield { op: 'store', addr: this.current(loc, this.tid), width: 1, value: 0 };
    }
    return 0;
  }

  *synchronize(loc: number): Generator<Effect, number, unknown> {
    for (let t = 0; t < this.ctx.n; t++) {
      const k = yield* load(this.current(loc, t));
      if (k > 0) yield { op: 'down_read', addr: this.section(loc, t, k - 1) };
    }
    return 0;
  }
}
