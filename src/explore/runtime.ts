/**
 * The runtime: threads as generators over one machine. A thread's pending effect is known
 * before it runs (the generator is advanced to its next yield right after each step), so the
 * explorer can ask whether it is enabled and what it touches without executing it.
 */
import { type Effect, LoopBound, NotModeled, type Program, Violation } from '../machine/effects.js';
import type { Footprint, Machine } from '../machine/machine.js';

/** What a scenario hands the explorer for each execution: a fresh world. */
export interface World {
  machine: Machine;
  /** `path`: what the program runs (registered paths' names), for messages; `role`: what the
   * CPU does in the scenario, when stated */
  programs: Array<{ name: string; cpu: number; path?: string; role?: string; program: Program<unknown> }>;
  /** Names a memory word for traces ("pmd[0] @frame 3", "folio 5 ->_refcount"). */
  symbol(addr: number): string;
  /** Oracles on the final state of a complete execution. */
  finalCheck(): Violation | null;
  /** Exhibits recorded during the execution (not violations). */
  observations?(): Array<{ kind: string; message: string }>;
  /** Ghost snapshot of the state for traces and the viewer (only when recording). */
  snapshot?(): unknown;
}

export type ThreadKind = 'task' | 'irq' | 'rcu';

export interface Thread {
  id: number;
  name: string;
  /** A name for the thread that equivalent executions share (ids of spawned threads follow the
   * order of spawns): a program's name, or its spawner's key, step count and rank. */
  key: string;
  cpu: number;
  kind: ThreadKind;
  gen: Program<unknown>;
  pending: Effect | null;
  /** Kernel functions entered, innermost last. */
  stack: string[];
  /** the element of its CPU's path sequence it runs (set by a `path` effect) */
  path?: string;
  /** Steps executed by this thread (its local clock). */
  steps: number;
  /** Step index of the step that created it, or -1. */
  parentStep: number;
  result?: unknown;
}

export interface StepRecord {
  index: number;
  thread: number;
  threadName: string;
  cpu: number;
  kind: ThreadKind;
  fn: string;
  stack: string[];
  op: string;
  target: string;
  /** Value read, or the old value of an RMW. */
  read?: unknown;
  /** Value written. */
  wrote?: unknown;
  notes: string[];
  /** the element of a CPU's path sequence the step belongs to ('page_fault (2/2)') */
  path?: string;
  /** locations read and written (the footprint), for explain's race view */
  locs?: { r: number[]; w: number[] };
  state?: unknown;
}

export interface ViolationInfo {
  property: string;
  message: string;
  /** Index of the step at which it was detected, or the step count for final-state oracles. */
  step: number;
}

/** One executed step's footprint, for the coverage of conflicting pairs (coverage.ts). */
export interface Access {
  thread: Thread;
  /** the thread's step count before this step: the step's name within the thread */
  step: number;
  cpu: number;
  fp: Footprint;
}

export class Execution {
  readonly machine: Machine;
  readonly threads: Thread[] = [];
  readonly trace: StepRecord[] = [];
  /** every step's footprint, in order */
  readonly accesses: Access[] = [];
  /** footprints computed by footprint(tid), valid while stepCount is unchanged */
  private readonly fpCache: Array<{ at: number; fp: Footprint } | undefined> = [];
  violation: ViolationInfo | null = null;
  /** Set when a modeled retry loop hit its bound: the execution was cut there. */
  cut: string | null = null;
  stepCount = 0;

  constructor(
    readonly world: World,
    readonly record: boolean,
  ) {
    this.machine = world.machine;
    for (const p of world.programs) this.addThread(p.name, p.name, p.cpu, 'task', p.program, -1);
  }

  private addThread(name: string, key: string, cpu: number, kind: ThreadKind, gen: Program<unknown>, parentStep: number): void {
    const t: Thread = { id: this.threads.length, name, key, cpu, kind, gen, pending: null, stack: [], steps: 0, parentStep };
    this.threads.push(t);
    this.advance(t, undefined, null);
  }

  /** Run the thread's generator to its next real effect, handling ghost effects inline. */
  private advance(t: Thread, value: unknown, rec: StepRecord | null): void {
    try {
      for (;;) {
        const r = t.gen.next(value);
        value = undefined;
        if (r.done) {
          t.pending = null;
          t.result = r.value;
          return;
        }
        const e = r.value;
        if (e.op === 'enter') t.stack.push(e.fn);
        else if (e.op === 'leave') t.stack.pop();
        else if (e.op === 'note') rec?.notes.push(e.text);
        else if (e.op === 'path') t.path = e.name;
        else {
          t.pending = e;
          return;
        }
      }
    } catch (err) {
      t.pending = null;
      this.fail(err, t);
    }
  }

  private fail(err: unknown, t: Thread): void {
    if (err instanceof LoopBound) {
      this.cut ??= `${who(t)}: ${err.message}`;
      return;
    }
    if (err instanceof NotModeled) {
      err.message = `${who(t)} reached ${err.what}, which the model does not cover: the scenario is outside the model`;
      throw err;
    }
    if (!(err instanceof Violation)) throw err;
    if (!this.violation)
      this.violation = { property: err.property, message: `${who(t)}: ${err.message}`, step: this.stepCount - 1 };
  }

  isEnabled(t: Thread): boolean {
    if (!t.pending || this.violation || this.cut) return false;
    if (t.kind === 'task' && this.machine.cpus[t.cpu].inIrq >= 0) return false;
    return this.machine.enabled(t.pending, t.cpu);
  }

  enabled(): number[] {
    const out: number[] = [];
    for (const t of this.threads) if (this.isEnabled(t)) out.push(t.id);
    return out;
  }

  /** Footprint of the thread's pending effect in the current state. */
  footprint(tid: number): Footprint {
    const t = this.threads[tid];
    if (!t.pending) return { r: [], w: [] };
    const cached = this.fpCache[tid];
    if (cached && cached.at === this.stepCount) return cached.fp;
    let fp = this.machine.footprint(t.pending, t.cpu);
    if (t.kind === 'task') fp = { r: [...fp.r, this.machine.ctxLoc(t.cpu)], w: fp.w };
    this.fpCache[tid] = { at: this.stepCount, fp };
    return fp;
  }

  get live(): boolean {
    return this.threads.some((t) => t.pending !== null);
  }

  step(tid: number): void {
    const t = this.threads[tid];
    const e = t.pending!;
    this.accesses.push({ thread: t, step: t.steps, cpu: t.cpu, fp: this.footprint(tid) });
    const index = this.stepCount++;
    t.steps++;
    const rec: StepRecord | null = this.record
      ? {
          index, thread: tid, threadName: t.name, cpu: t.cpu, kind: t.kind, fn: t.stack[t.stack.length - 1] ?? t.name,
          stack: [...t.stack], op: e.op, target: this.targetOf(e), notes: [], ...(t.path ? { path: t.path } : {}), locs: this.machine.footprint(e, t.cpu),
        }
      : null;
    let result: unknown;
    try {
      result = this.machine.exec(e, t.cpu);
    } catch (err) {
      t.pending = null;
      this.fail(err, t);
      if (rec) this.trace.push(rec);
      return;
    }
    if (rec) {
      describeValues(e, result, rec);
      this.trace.push(rec);
    }
    this.machine.takeSpawned().forEach((s, rank) => this.addThread(s.name, `${t.key}/${t.steps}.${rank}`, s.cpu, s.kind, s.program, index));
    this.advance(t, result, rec);
    if (rec && this.world.snapshot) rec.state = this.world.snapshot();
  }

  private targetOf(e: Effect): string {
    if ('addr' in e) return this.world.symbol(e.addr);
    if (e.op === 'ipi_send') return `${e.name} -> cpu ${e.targets.join(',')}`;
    if (e.op === 'alloc') return `order ${e.order} ${e.use.kind === 'table' ? `table L${e.use.level}` : e.use.kind}`;
    if (e.op === 'free') return `frame ${e.frame} order ${e.order}`;
    if (e.op === 'tlb_flush_local' || e.op === 'tlbi_broadcast') return `[${hex(e.start)}, ${hex(e.end)})`;
    if (e.op === 'user_access') return `${e.write ? 'write' : 'read'} ${hex(e.vaddr)}`;
    if (e.op === 'call_rcu') return e.name;
    return '';
  }

  /** Final-state oracles and the deadlock oracle, for a complete execution. */
  finish(): void {
    if (this.violation || this.cut) return;
    const stuck = this.threads.filter((t) => t.pending !== null);
    if (stuck.length > 0) {
      this.violation = {
        property: 'deadlock',
        message: `every thread is blocked: ${stuck.map((t) => `${who(t)} in ${t.pending!.op}`).join(', ')}`,
        step: this.stepCount,
      };
      return;
    }
    const v = this.world.finalCheck();
    if (v) this.violation = { property: v.property, message: v.message, step: this.stepCount };
  }
}

/** A thread for messages: its name, and the path of its CPU's sequence it was running. */
function who(t: Thread): string {
  return t.path ? `${t.name} [${t.path}]` : t.name;
}

function describeValues(e: Effect, result: unknown, rec: StepRecord): void {
  switch (e.op) {
    case 'load':
      rec.read = result;
      break;
    case 'store':
      rec.wrote = e.value;
      break;
    case 'xchg':
      rec.read = result;
      rec.wrote = e.value;
      break;
    case 'cmpxchg':
      rec.read = result;
      if (result === e.expected) rec.wrote = e.value;
      break;
    case 'add':
      rec.wrote = result;
      break;
    case 'bitop':
      rec.read = result;
      rec.wrote = ((result as number) | e.set) & ~e.clear;
      break;
    case 'add_unless':
    case 'spin_trylock':
      rec.read = result;
      break;
    case 'alloc':
      rec.read = result;
      break;
    case 'user_access':
      rec.read = result;
      break;
  }
}

/** Re-run a schedule and record every step: counterexamples replay deterministically. */
export function replay(world: World, schedule: number[]): Execution {
  const exec = new Execution(world, true);
  for (const tid of schedule) {
    const t = exec.threads[tid];
    if (!t || !exec.isEnabled(t)) throw new Error(`schedule does not replay: thread ${tid} is not enabled at step ${exec.stepCount}`);
    exec.step(tid);
  }
  if (!exec.live || exec.enabled().length === 0) exec.finish();
  return exec;
}

export function hex(v: number): string {
  return '0x' + v.toString(16);
}
