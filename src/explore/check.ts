/**
 * Checking one question: exhaustive exploration (optimal DPOR by default, source-set DPOR on
 * request) split into work items, then, for a violation, minimization and a recorded replay of
 * the counterexample. The verdict comes from the exploration alone; the expectation is carried
 * through for the report, never consulted.
 */
import { NotModeled } from '../machine/effects.js';
import type { ExploreResult } from './dpor.js';
import { raceCoverage } from './coverage.js';
import { minimize } from './minimize.js';
import { exploreSplit } from './partition.js';
import { replay, type World } from './runtime.js';
import { sample } from './sample.js';
import { soloCheck } from './solo.js';
import { type Counterexample, rolesOf } from './trace.js';

export interface Checkable<C> {
  id: string;
  family: string;
  variant: string;
  expect: string;
  config: C;
  build(config: C): World;
}

export interface CheckOptions {
  maxExecutions?: number;
  timeLimitMs?: number;
  /** skip minimization (the first counterexample found is reported) */
  noMinimize?: boolean;
  /** dfs: exhaustive DPOR (default); random, pct: seeded sampling (verdict violated or unknown) */
  strategy?: 'dfs' | 'random' | 'pct';
  /** dfs's reduction: 'optimal' (wakeup trees, the default) or 'dpor' (source sets and sleep sets) */
  reduction?: 'dpor' | 'optimal';
  /** seed for random and pct (default 1) */
  seed?: number;
  /** PCT bug depth (default 3) */
  depth?: number;
  /** polled between executions: true stops the search (and minimization) where it is */
  shouldStop?(): boolean;
  /** progress callback: the phase, and its own count so far (executions explored, or the
   * minimization's runs, from 0 when it starts) */
  onProgress?(executions: number, phase: 'explore' | 'minimize'): void;
}

export interface CheckResult {
  id: string;
  family: string;
  variant: string;
  expect: string;
  /** vacuous: exhaustive and clean, but no two conflicting accesses of different CPUs were ever
   * run in both orders, so nothing was proven about a race */
  verdict: 'violated' | 'verified' | 'vacuous' | 'unknown';
  property: string | null;
  /** conflicting access pairs from different CPUs seen, and how many of them in both orders */
  coverage: { pairs: number; bothOrders: number };
  executions: number;
  ms: number;
  /** executions pruned by sleep sets, cut at a loop bound; the budget that stopped the search */
  sleepBlocked: number;
  cutAtBound: number;
  budget: string | null;
  trace: Counterexample | null;
  /** exhibits that are not violations, each with the trace that shows it */
  observations: Array<{ kind: string; message: string; trace: Counterexample }>;
  strategy?: 'dfs' | 'random' | 'pct';
  seed?: number;
  /** stopped by the user (Ctrl-C): the counts say how far it got */
  interrupted?: boolean;
}

/** Explore `s` and give its verdict. Throws NotModeled (its message naming the scenario) when an
 * execution reaches kernel code the model leaves out. */
export function check<C>(s: Checkable<C>, opts: CheckOptions = {}): CheckResult {
  try {
    return checkOnce(s, opts);
  } catch (err) {
    if (err instanceof NotModeled) err.message = `${s.id}: ${err.message}`;
    throw err;
  }
}

function checkOnce<C>(s: Checkable<C>, opts: CheckOptions): CheckResult {
  const t0 = Date.now();
  const make = () => s.build(s.config);
  soloCheck(s.id, s.config, make);
  const strategy = opts.strategy ?? 'dfs';
  const common = {
    maxExecutions: opts.maxExecutions,
    timeLimitMs: opts.timeLimitMs,
    shouldStop: opts.shouldStop,
    onProgress: (n: number) => opts.onProgress?.(n, 'explore'),
  };
  const r =
    strategy === 'dfs'
      ? exploreSplit(make, { reduction: opts.reduction ?? 'optimal', ...common })
      : sample(make, { strategy, seed: opts.seed ?? 1, depth: opts.depth, ...common });
  return report(s, r, opts, t0);
}

/** The verdict of a finished search: the counterexample minimized and replayed, the
 * observations replayed. Shared by check, the worker pool (--jobs) and merge (--shard). */
export function report<C>(s: Checkable<C>, r: ExploreResult, opts: CheckOptions, t0 = Date.now()): CheckResult {
  const make = () => s.build(s.config);
  const strategy = opts.strategy ?? 'dfs';
  let trace: Counterexample | null = null;
  if (r.found) {
    opts.onProgress?.(0, 'minimize');
    // the time limit covers minimization too: past it, the best schedule found so far
    const deadline = opts.timeLimitMs === undefined ? undefined : t0 + opts.timeLimitMs;
    const m = opts.noMinimize
      ? { ...r.found, preemptions: -1 }
      : minimize(make, r.found, { shouldStop: opts.shouldStop, deadline, onProgress: (n) => opts.onProgress?.(n, 'minimize') });
    const world = make();
    const exec = replay(world, m.schedule);
    if (!exec.violation || exec.violation.property !== m.violation.property)
      throw new Error(`${s.id}: counterexample does not replay to ${m.violation.property}`);
    const roles = rolesOf(world);
    trace = { id: s.id, config: s.config, schedule: m.schedule, preemptions: m.preemptions, violation: exec.violation, steps: exec.trace, ...(roles ? { roles } : {}) };
  }
  const observations = [...r.observed].map(([kind, o]) => {
    const exec = replay(make(), o.schedule);
    const steps = exec.trace;
    return { kind, message: o.message, trace: { id: s.id, config: s.config, schedule: o.schedule, preemptions: -1, violation: { property: `observation: ${kind}`, message: o.message, step: steps.length }, steps } };
  });
  const coverage = raceCoverage(r.races);
  return {
    id: s.id,
    family: s.family,
    variant: s.variant,
    expect: s.expect,
    verdict: r.verdict === 'verified' && coverage.bothOrders === 0 ? 'vacuous' : r.verdict,
    coverage,
    property: r.found?.violation.property ?? null,
    executions: r.executions,
    ms: Date.now() - t0,
    sleepBlocked: r.sleepBlocked,
    cutAtBound: r.cutAtBound,
    budget: r.budget ?? null,
    trace,
    observations,
    ...(strategy !== 'dfs' || opts.seed !== undefined ? { strategy, seed: opts.seed ?? 1 } : {}),
    ...(r.budget === 'interrupted' || opts.shouldStop?.() ? { interrupted: true } : {}),
  };
}
