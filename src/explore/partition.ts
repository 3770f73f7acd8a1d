/**
 * Splitting one exhaustive search into work items, so that worker threads (--jobs) and
 * machines (--shard i/N, then `mmrace merge`) can share it, and every way of running the items
 * gives the same verdict, the same counts and the same counterexample.
 *
 * The top of the schedule tree is expanded fully: at each state every enabled thread not in the
 * sleep set is a branch, siblings tried earlier go into the sleep set of later ones (Godefroid's
 * sleep sets over a trivially persistent set: sound, and no complete execution is explored
 * twice). States with a single candidate are followed without branching. The item likeliest to
 * be largest is expanded next, until there are ITEMS items; each is then explored by DPOR below
 * its prefix (ExploreOptions.root). The split depends on the scenario
 * alone, never on the number of workers.
 *
 * Items are combined in index order: a violation in item i makes every later item irrelevant
 * (they are not started, or their results are dropped), so the counts are those of running
 * items 0..i one after another, whoever ran them.
 */
import { mergeRacePairs } from './coverage.js';
import { type ExploreOptions, type ExploreResult, type Root, dependent, ended, explore, halting } from './dpor.js';
import { Execution, type World } from './runtime.js';
import type { Footprint } from '../machine/machine.js';

/** Enough items for work stealing on a few cores without losing much DPOR reduction at the top. */
export const ITEMS = 24;
const MAX_EXPANSIONS = 4 * ITEMS;

export interface Partition {
  items: Root[];
  /** prefixes that ended sleep-set-blocked while splitting (counted with the items' own) */
  sleepBlocked: number;
}

export function partition(make: () => World, target = ITEMS): Partition {
  const items: Array<Root & { leaf?: boolean }> = [{ prefix: [], sleep: new Map() }];
  let sleepBlocked = 0;
  for (let n = 0; n < MAX_EXPANSIONS && items.length < target; n++) {
    const i = likeliestLargest(items);
    if (i < 0) break;
    const out = expand(make, items[i]);
    if (out === 'blocked') sleepBlocked++;
    items.splice(i, 1, ...(out === 'blocked' ? [] : out.length === 1 ? [{ ...out[0], leaf: true }] : out));
  }
  return { items: items.map(({ prefix, sleep }) => ({ prefix, sleep })), sleepBlocked };
}

/**
 * The item to split next: the fewest threads asleep (a sleeping thread prunes most of what lies
 * below), then the shortest prefix, then the first. A heuristic: it decides only how the work
 * is cut, never what is explored.
 */
function likeliestLargest(items: Array<Root & { leaf?: boolean }>): number {
  let best = -1;
  for (const [i, it] of items.entries()) {
    if (it.leaf) continue;
    const b = items[best];
    if (best < 0 || it.sleep.size < b.sleep.size || (it.sleep.size === b.sleep.size && it.prefix.length < b.prefix.length)) best = i;
  }
  return best;
}

/** Replay an item's prefix, follow single candidates, then branch on every candidate. */
function expand(make: () => World, item: Root): Root[] | 'blocked' {
  const exec = new Execution(make(), false);
  for (const t of item.prefix) exec.step(t);
  const prefix = [...item.prefix];
  let sleep = item.sleep;
  for (;;) {
    const enabled = exec.enabled();
    if (exec.violation || enabled.length === 0) return [{ prefix, sleep }]; // a leaf: one execution
    const fps = new Map<number, Footprint>();
    for (const t of enabled) fps.set(t, exec.footprint(t));
    const candidates = enabled.filter((t) => !sleep.has(t));
    if (candidates.length === 0) return 'blocked';
    if (candidates.length === 1) {
      const c = candidates[0];
      sleep = awake(sleep, [], fps, c);
      exec.step(c);
      prefix.push(c);
      continue;
    }
    // an earlier sibling whose step ends the execution (halting in dpor.ts) sleeps below no other
    // (replayed only where it matters: a sibling independent of a later one would sleep below it)
    for (const [i, c] of candidates.entries()) {
      const later = candidates.slice(i + 1);
      if (later.some((d) => !dependent(fps.get(c)!, fps.get(d)!)) && endsExecution(make, prefix, c)) fps.set(c, halting(fps.get(c)!));
    }
    return candidates.map((c, i) => ({ prefix: [...prefix, c], sleep: awake(sleep, candidates.slice(0, i), fps, c) }));
  }
}

/** Whether thread t's step after the prefix ends the execution (a violation or a loop bound). */
function endsExecution(make: () => World, prefix: number[], t: number): boolean {
  const exec = new Execution(make(), false);
  for (const s of prefix) exec.step(s);
  exec.step(t);
  return ended(exec);
}

/** The sleep set after thread c's step: earlier siblings join, whatever c's step touches wakes. */
function awake(sleep: Map<number, Footprint>, earlier: number[], fps: Map<number, Footprint>, c: number): Map<number, Footprint> {
  const fc = fps.get(c)!;
  const out = new Map<number, Footprint>();
  for (const [t, f] of sleep) if (t !== c && !dependent(f, fc)) out.set(t, f);
  for (const t of earlier) if (!dependent(fps.get(t)!, fc)) out.set(t, fps.get(t)!);
  return out;
}

/** One item's search. */
export function exploreItem(make: () => World, root: Root, opts: ExploreOptions): ExploreResult {
  return explore(make, { ...opts, root });
}

/**
 * The result of the whole search from its items' results (index order; `undefined` for an item
 * not run). Stops at the first violated item when the search stops at violations; an item not
 * run before that, or one stopped by a budget, makes the verdict unknown.
 */
export function combine(p: Pick<Partition, 'sleepBlocked'>, results: Array<ExploreResult | undefined>, stopAtViolation = true): ExploreResult {
  const res: ExploreResult = { verdict: 'verified', executions: 0, sleepBlocked: p.sleepBlocked, cutAtBound: 0, maxDepth: 0, ms: 0, observed: new Map() };
  let missing = 0;
  for (const r of results) {
    if (!r) {
      missing++;
      continue;
    }
    res.executions += r.executions;
    res.sleepBlocked += r.sleepBlocked;
    res.cutAtBound += r.cutAtBound;
    res.maxDepth = Math.max(res.maxDepth, r.maxDepth);
    res.ms += r.ms;
    for (const [k, o] of r.observed) if (!res.observed.has(k)) res.observed.set(k, o);
    mergeRacePairs((res.races ??= new Map()), r.races);
    if (r.budget && !res.budget) res.budget = r.budget;
    if (r.found && !res.found) {
      res.found = r.found;
      res.verdict = 'violated';
      if (stopAtViolation) return res;
    }
    if (r.verdict === 'unknown' && res.verdict === 'verified') res.verdict = 'unknown';
  }
  if (missing && res.verdict === 'verified') {
    res.verdict = 'unknown';
    res.budget ??= `${missing} of ${results.length} work items not run`;
  }
  return res;
}

/** The whole search, its items one after another (the reference every parallel run equals). */
export function exploreSplit(make: () => World, opts: ExploreOptions): ExploreResult {
  const t0 = Date.now();
  const p = partition(make);
  const results: Array<ExploreResult | undefined> = p.items.map(() => undefined);
  let executions = p.sleepBlocked; // the budget counts the split's blocked prefixes too
  let stopped: string | undefined;
  for (const [i, root] of p.items.entries()) {
    const left = opts.maxExecutions === undefined ? undefined : opts.maxExecutions - executions;
    const time = opts.timeLimitMs === undefined ? undefined : opts.timeLimitMs - (Date.now() - t0);
    if (left !== undefined && left <= 0) stopped = `max executions ${opts.maxExecutions}`;
    else if (time !== undefined && time <= 0) stopped = `time limit ${opts.timeLimitMs} ms`;
    else if (opts.shouldStop?.()) stopped = 'interrupted';
    if (stopped) break;
    const r = exploreItem(make, root, {
      ...opts,
      maxExecutions: left,
      timeLimitMs: time,
      onProgress: (e, b) => opts.onProgress?.(executions + e, b),
    });
    results[i] = r;
    executions += r.executions + r.sleepBlocked;
    if (r.budget?.startsWith('max executions')) stopped = `max executions ${opts.maxExecutions}`;
    else if (r.budget?.startsWith('time limit')) stopped = `time limit ${opts.timeLimitMs} ms`;
    if ((r.found && (opts.stopAtViolation ?? true)) || r.budget) break;
  }
  const res = combine(p, results, opts.stopAtViolation ?? true);
  if (stopped && res.verdict === 'unknown') res.budget = stopped;
  res.ms = Date.now() - t0;
  return res;
}
