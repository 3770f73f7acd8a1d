/**
 * Sampling strategies for scenarios too large to exhaust, sharing the runtime with DPOR:
 *
 * - random: a uniform random walk: at every state, one of the enabled threads, uniformly.
 * - pct: Probabilistic Concurrency Testing (Burckhardt, Kothari, Musuvathi, Nagarakatte,
 *   ASPLOS 2010): every thread gets a distinct random priority (threads spawned later, such as
 *   IPI handlers and RCU callbacks, get one too when they appear); the highest-priority enabled
 *   thread runs; at d-1 change points drawn uniformly from the execution's first k steps, the
 *   running thread drops to a priority below every initial one. A bug of depth d is found with
 *   probability at least 1/(n k^(d-1)) per execution. k is the longest execution seen so far.
 *
 * Both are seeded (mulberry32): the same seed gives the same schedules and the same output.
 * A sample never proves anything: the verdict is `violated` or `unknown`.
 */
import type { ExploreResult } from './dpor.js';
import { Execution, type World } from './runtime.js';

export interface SampleOptions {
  strategy: 'random' | 'pct';
  seed: number;
  /** executions to run (default 1000) */
  maxExecutions?: number;
  timeLimitMs?: number;
  /** PCT bug depth d (default 3) */
  depth?: number;
  stopAtViolation?: boolean;
  shouldStop?(): boolean;
  onProgress?(executions: number): void;
  /** Called with every execution and its schedule. */
  onExecution?(exec: Execution, schedule: number[]): void;
}

export const DEFAULT_SAMPLES = 1000;

/** mulberry32: a small seeded PRNG; returns [0, 1). */
export function prng(seed: number): () => number {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function sample(makeWorld: () => World, opts: SampleOptions): ExploreResult {
  const t0 = Date.now();
  const rand = prng(opts.seed);
  const max = opts.maxExecutions ?? DEFAULT_SAMPLES;
  const stopAt = opts.stopAtViolation ?? true;
  const res: ExploreResult = { verdict: 'unknown', executions: 0, sleepBlocked: 0, cutAtBound: 0, maxDepth: 0, ms: 0, observed: new Map() };
  let k = 1; // PCT: estimated steps per execution
  for (;;) {
    if (res.executions >= max) {
      res.budget = `max executions ${max}`;
      break;
    }
    if (opts.timeLimitMs !== undefined && Date.now() - t0 >= opts.timeLimitMs) {
      res.budget = `time limit ${opts.timeLimitMs} ms`;
      break;
    }
    if (opts.shouldStop?.()) {
      res.budget = 'interrupted';
      break;
    }
    const exec = new Execution(makeWorld(), false);
    const schedule = opts.strategy === 'pct' ? runPct(exec, rand, opts.depth ?? 3, k) : runRandom(exec, rand);
    k = Math.max(k, schedule.length);
    res.executions++;
    res.maxDepth = Math.max(res.maxDepth, schedule.length);
    if (exec.cut) res.cutAtBound++;
    for (const o of exec.world.observations?.() ?? []) if (!res.observed.has(o.kind)) res.observed.set(o.kind, { message: o.message, schedule });
    opts.onExecution?.(exec, schedule);
    opts.onProgress?.(res.executions);
    if (exec.violation && !res.found) {
      res.found = { violation: exec.violation, schedule };
      res.verdict = 'violated';
      if (stopAt) break;
    }
  }
  res.ms = Date.now() - t0;
  return res;
}

function runRandom(exec: Execution, rand: () => number): number[] {
  const schedule: number[] = [];
  for (;;) {
    if (exec.violation) return schedule;
    const en = exec.enabled();
    if (en.length === 0) break;
    const t = en[Math.floor(rand() * en.length)];
    exec.step(t);
    schedule.push(t);
  }
  exec.finish();
  return schedule;
}

function runPct(exec: Execution, rand: () => number, depth: number, k: number): number[] {
  const schedule: number[] = [];
  // initial priorities: distinct random reals in [d, d+1), i.e. a random permutation (higher runs first)
  const prio: number[] = [];
  const assign = () => {
    while (prio.length < exec.threads.length) {
      // a random rank among the others, above every change-point priority (1 .. d-1)
      prio.push(depth + rand());
    }
  };
  assign();
  const change = new Map<number, number>(); // step -> the lowered priority (1 .. d-1)
  for (let i = 1; i < depth; i++) change.set(1 + Math.floor(rand() * k), depth - i);
  for (let step = 0; ; step++) {
    if (exec.violation) return schedule;
    const en = exec.enabled();
    if (en.length === 0) break;
    let t = en[0];
    for (const x of en) if (prio[x] > prio[t]) t = x;
    exec.step(t);
    schedule.push(t);
    assign();
    const low = change.get(step + 1);
    if (low !== undefined) prio[t] = low;
  }
  exec.finish();
  return schedule;
}
