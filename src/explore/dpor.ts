/**
 * Exhaustive stateless exploration: depth-first over schedules, re-executing from the initial
 * state each time. With `reduction: 'dpor'` it is source-set dynamic partial-order reduction
 * (Abdulla et al., POPL 2014) with sleep sets: races are pairs of dependent steps not ordered
 * by happens-before (vector clocks, as in Flanagan–Godefroid, POPL 2005), checked against each
 * thread's next step; dependency is overlap of footprints with at least one write. Blocked threads take part through their pending effect, as in the paper.
 * A step that ends its execution (it raised a violation, or a loop bound cut the execution
 * there) disables every other thread, so it is dependent with every step (see halting), and its
 * races are reversed like any other (haltRaces): the search below a violation, when it goes on
 * (stopAtViolation false), reaches exactly the traces naive enumeration reaches.
 * With `reduction: 'none'` every enabled thread is tried at every state (naive enumeration,
 * the reference the reduction is tested against), optionally under a preemption bound.
 */
import type { Footprint } from '../machine/machine.js';
import { exploreOptimal } from './odpor.js';
import { HappensBefore } from './happens-before.js';
import { type RacePairs, addRacePairs } from './coverage.js';
import { Execution, type ViolationInfo, type World } from './runtime.js';

export interface ExploreOptions {
  /** 'optimal': Optimal DPOR with wakeup trees (odpor.ts); 'dpor': Flanagan–Godefroid with
   * sleep sets; 'none': naive enumeration. */
  reduction: 'optimal' | 'dpor' | 'none';
  maxExecutions?: number;
  timeLimitMs?: number;
  /** Only with reduction 'none': at most this many preemptions per schedule. */
  preemptionBound?: number;
  /** Stop at the first violation (default) or keep exploring. */
  stopAtViolation?: boolean;
  /** Called with every complete (not sleep-set-blocked) execution. */
  onExecution?(exec: Execution, schedule: number[]): void;
  /** Polled between executions: true stops the search (budget 'interrupted'). */
  shouldStop?(): boolean;
  /** Called after every execution with the counts so far (progress bars). */
  onProgress?(executions: number, sleepBlocked: number): void;
  /** Explore only the subtree below this schedule prefix, entered with this sleep set (a work
   * item of src/explore/split.ts). The prefix's own states are never backtracked: the split
   * expands them fully, so a race that reaches back into the prefix needs nothing here. */
  root?: Root;
}

export interface Root {
  prefix: number[];
  sleep: Map<number, Footprint>;
}

export interface Found {
  violation: ViolationInfo;
  schedule: number[];
}

export interface ExploreResult {
  verdict: 'violated' | 'verified' | 'unknown';
  /** Complete executions run (sleep-set-blocked ones counted apart). */
  executions: number;
  sleepBlocked: number;
  /** Executions cut where a modeled retry loop reached its bound. */
  cutAtBound: number;
  maxDepth: number;
  ms: number;
  found?: Found;
  /** The first schedule that showed each kind of exhibit. */
  observed: Map<string, { message: string; schedule: number[] }>;
  /** Set when a budget stopped the search before it was exhaustive. */
  budget?: string;
  /** the conflicting cross-CPU access pairs of the complete executions, and their orders */
  races?: RacePairs;
}

interface Node {
  enabled: number[];
  /** Pending footprints of every live thread at this state. */
  fps: Map<number, Footprint>;
  sleep: Map<number, Footprint>;
  backtrack: Set<number>;
  done: Set<number>;
  chosen: number;
  /** Clock of the step taken from this state. */
  clock: number[];
  preemptions: number;
}

export function dependent(a: Footprint, b: Footprint): boolean {
  if ((a as Halting).halts || (b as Halting).halts) return true;
  return overlaps(a.w, b.w) || overlaps(a.w, b.r) || overlaps(a.r, b.w);
}

/**
 * The footprint of a step that ended its execution: it raised a violation, or a modeled retry
 * loop reached its bound there. Every other thread is disabled from then on, as if the step wrote
 * a location every step reads, so it is dependent with every step: an execution that ends there
 * is a different trace from one where another thread's step came first (naive enumeration has
 * both), and a thread whose step ends the execution never sleeps past another step.
 */
interface Halting extends Footprint {
  halts: true;
}

export function halting(fp: Footprint): Footprint {
  return { r: fp.r, w: fp.w, halts: true } as Halting;
}

export function halts(fp: Footprint): boolean {
  return (fp as Halting).halts === true;
}

/** Whether the execution's last step ended it (a violation raised by a step, or a loop bound);
 * not the final-state oracles, which run once no thread is enabled. */
export function ended(exec: Execution): boolean {
  return exec.violation !== null || exec.cut !== null;
}

function overlaps(x: number[], y: number[]): boolean {
  for (const a of x) for (const b of y) if (a === b) return true;
  return false;
}

export function explore(makeWorld: () => World, opts: ExploreOptions): ExploreResult {
  if (opts.reduction === 'optimal') return exploreOptimal(makeWorld, opts);
  const t0 = Date.now();
  const stopAt = opts.stopAtViolation ?? true;
  const nodes: Node[] = [];
  const base = opts.root?.prefix.length ?? 0;
  const res: ExploreResult = { verdict: 'verified', executions: 0, sleepBlocked: 0, cutAtBound: 0, maxDepth: 0, ms: 0, observed: new Map() };
  let firstRun = true;
  while (firstRun || backtrack(nodes, base)) {
    firstRun = false;
    const outcome = runOne(makeWorld, nodes, opts, base);
    res.maxDepth = Math.max(res.maxDepth, nodes.length);
    if (outcome.kind === 'blocked') res.sleepBlocked++;
    else if (noteExecution(res, outcome.exec, nodes.map((n) => n.chosen), opts, stopAt)) break;
    if (outOfBudget(res, opts, t0)) break;
  }
  if (res.budget && res.verdict !== 'violated') {
    if (hasPending(nodes.slice(base))) res.verdict = 'unknown';
    else res.budget = undefined; // the budget ran out exactly as the search finished
  }
  res.ms = Date.now() - t0;
  return res;
}

/** Count a complete execution: its observations, the first violation. True: stop the search. */
export function noteExecution(res: ExploreResult, exec: Execution, schedule: number[], opts: ExploreOptions, stopAt: boolean): boolean {
  res.executions++;
  if (exec.cut) res.cutAtBound++;
  addRacePairs((res.races ??= new Map()), exec);
  for (const o of exec.world.observations?.() ?? []) if (!res.observed.has(o.kind)) res.observed.set(o.kind, { message: o.message, schedule });
  if (exec.violation && !res.found) {
    res.found = { violation: exec.violation, schedule };
    res.verdict = 'violated';
    if (stopAt) return true;
  }
  opts.onExecution?.(exec, schedule);
  return false;
}

/** Between executions: the budgets, progress, the stop flag. True (and res.budget set): stop. */
export function outOfBudget(res: ExploreResult, opts: ExploreOptions, t0: number): boolean {
  if (opts.maxExecutions !== undefined && res.executions + res.sleepBlocked >= opts.maxExecutions) res.budget = `max executions ${opts.maxExecutions}`;
  else if (opts.timeLimitMs !== undefined && Date.now() - t0 >= opts.timeLimitMs) res.budget = `time limit ${opts.timeLimitMs} ms`;
  else {
    opts.onProgress?.(res.executions, res.sleepBlocked);
    if (opts.shouldStop?.()) res.budget = 'interrupted';
  }
  return res.budget !== undefined;
}

/** Replays the chosen prefix, then extends it to a maximal execution, updating backtrack sets. */
function runOne(makeWorld: () => World, nodes: Node[], opts: ExploreOptions, base: number): { kind: 'complete' | 'blocked'; exec: Execution } {
  const exec = new Execution(makeWorld(), false);
  const st = new RunState();
  for (let d = 0; d < Math.max(nodes.length, base); d++) {
    if (d === nodes.length) nodes.push(prefixNode(exec, nodes, opts.root!.prefix[d]));
    stepWithClock(exec, nodes, d, st);
  }
  const dpor = opts.reduction === 'dpor';
  const rootSleep = opts.root?.sleep ?? new Map<number, Footprint>();
  let sleep = nodes.length > base && dpor ? childSleep(nodes[nodes.length - 1]) : rootSleep;
  /** the clock of the last step's thread before that step */
  let cp: number[] = [];
  for (;;) {
    if (ended(exec)) {
      if (dpor && nodes.length > base) haltRaces(exec, nodes, st, cp, base);
      return { kind: 'complete', exec };
    }
    const d = nodes.length;
    const enabled = exec.enabled();
    const fps = new Map<number, Footprint>();
    for (const t of exec.threads) if (t.pending) fps.set(t.id, exec.footprint(t.id));
    if (dpor) addBacktracks(nodes, fps, st);
    if (enabled.length === 0) {
      exec.finish();
      return { kind: 'complete', exec };
    }
    const prev = d > 0 ? nodes[d - 1].chosen : -1;
    const prevPre = d > 0 ? nodes[d - 1].preemptions : 0;
    let candidates = enabled.filter((t) => !sleep.has(t));
    if (opts.preemptionBound !== undefined && prevPre >= opts.preemptionBound && enabled.includes(prev))
      candidates = candidates.filter((t) => t === prev);
    if (candidates.length === 0) return { kind: 'blocked', exec };
    const p = candidates.includes(prev) ? prev : candidates[0];
    const node: Node = {
      enabled,
      fps,
      sleep,
      backtrack: new Set(opts.reduction === 'dpor' ? [p] : candidates),
      done: new Set(),
      chosen: p,
      clock: [],
      preemptions: prevPre + (prev >= 0 && p !== prev && enabled.includes(prev) ? 1 : 0),
    };
    nodes.push(node);
    cp = st.clocks[p] ?? [];
    stepWithClock(exec, nodes, d, st);
    if (dpor) sleep = childSleep(node);
  }
}

/** A frozen node of the root prefix: its one choice, never backtracked. Built lazily as the
 * first run replays the prefix (footprints and enabled sets are read off the live state). */
function prefixNode(exec: Execution, nodes: Node[], t: number): Node {
  const enabled = exec.enabled();
  if (!enabled.includes(t)) throw new Error(`root prefix: thread ${t} is not enabled at step ${nodes.length}`);
  const fps = new Map<number, Footprint>();
  for (const th of exec.threads) if (th.pending) fps.set(th.id, exec.footprint(th.id));
  const prev = nodes[nodes.length - 1];
  const preemptions = (prev?.preemptions ?? 0) + (prev && t !== prev.chosen && enabled.includes(prev.chosen) ? 1 : 0);
  return { enabled, fps, sleep: new Map(), backtrack: new Set([t]), done: new Set(), chosen: t, clock: [], preemptions };
}

/** Sleep set of the state reached by the node's chosen step. */
function childSleep(node: Node): Map<number, Footprint> {
  const fp = node.fps.get(node.chosen)!;
  const out = new Map<number, Footprint>();
  for (const [t, f] of node.sleep) if (t !== node.chosen && !dependent(f, fp)) out.set(t, f);
  for (const t of node.done) {
    const f = node.fps.get(t)!;
    if (t !== node.chosen && !dependent(f, fp)) out.set(t, f);
  }
  return out;
}

/** Happens-before bookkeeping, plus what addBacktracks remembers between states. */
class RunState extends HappensBefore {
  /** Per thread: its step count and the execution's length when its races were last reversed. */
  readonly checked = new Map<number, { steps: number; at: number; fp: Footprint }>();
}

/** Execute the node's step and give it a vector clock: after every earlier dependent step. */
function stepWithClock(exec: Execution, nodes: Node[], d: number, st: RunState): void {
  const node = nodes[d];
  const p = node.chosen;
  const c = st.record(nodes, d, p, node.fps.get(p)!);
  const before = exec.threads.length;
  exec.step(p);
  c[p] = exec.threads[p].steps;
  node.clock = c;
  st.clocks[p] = c;
  for (let t = before; t < exec.threads.length; t++) st.clocks[t] = c.slice();
}


/**
 * Source-set DPOR (Abdulla et al., POPL 2014) on each thread's next step: its races are the
 * executed steps it depends on that are not already before it (through its own thread) and not
 * before another such step (the immediate races); each is reversed by adding, unless the node
 * already tries one, an initial of v: the steps after the racing one that do not depend on it,
 * followed by the next step.
 *
 * Two weaker rules were unsound with sleep sets, and the property tests found both: adding the
 * racing thread itself (Flanagan–Godefroid's first choice: its step at that node may be asleep
 * while v must start with another thread), and reversing only the last race of a step (the
 * earlier one's reversal can need a node whose other choices are all asleep).
 */
function addBacktracks(nodes: Node[], fps: Map<number, Footprint>, st: RunState): void {
  for (const [p, fp] of fps) {
    const cp = st.clocks[p] ?? [];
    if (unchanged(nodes, p, fp, st)) continue;
    const races = new Set<number>();
    const scan = (l: number, pWrites: boolean) => {
      for (const { step, write } of st.history.get(l) ?? []) {
        const q = nodes[step].chosen;
        if (q === p || !(write || pWrites)) continue;
        if ((nodes[step].clock[q] ?? 0) <= (cp[q] ?? 0)) continue; // happens-before p's next step
        races.add(step);
      }
    };
    for (const l of fp.r) scan(l, false);
    for (const l of fp.w) scan(l, true);
    if (races.size === 0) continue;
    const pending = st.pending(nodes, p, fp);
    const steps = [...races];
    for (const e of steps) {
      if (steps.some((e2) => e2 !== e && before(nodes, e, nodes[e2].clock))) continue; // not immediate
      const nj = nodes[e];
      const initials = initialsAfter(nodes, e, p, pending);
      if (initials.some((q) => nj.backtrack.has(q))) continue;
      const q = initials.find((t) => nj.enabled.includes(t) && !nj.sleep.has(t)) ?? initials.find((t) => nj.enabled.includes(t));
      if (q !== undefined) nj.backtrack.add(q);
      else for (const t of nj.enabled) nj.backtrack.add(t);
    }
  }
}

/**
 * The races of a step that ended the execution (see halting): it is dependent with every step,
 * so every other thread's next step races with it (reversed by trying that thread first at the
 * state before it, where it was pending too unless blocked there, then there is nothing to
 * reverse), and so does every step of another thread after which nothing in the execution
 * happens (the immediate races; the others happen before one of these). Its ordinary races were
 * reversed while it was pending.
 */
function haltRaces(exec: Execution, nodes: Node[], st: RunState, cp: number[], base: number): void {
  const h = nodes.length - 1;
  const last = nodes[h];
  const p = last.chosen;
  last.fps.set(p, halting(last.fps.get(p)!));
  for (const q of last.enabled) if (q !== p) last.backtrack.add(q);
  // each thread's last step before h; a step is followed in happens-before by a later step iff
  // it is by one of these (clocks grow along a thread)
  const lastStep = new Map<number, number>();
  for (let e = h - 1; e >= base && lastStep.size < exec.threads.length; e--) if (!lastStep.has(nodes[e].chosen)) lastStep.set(nodes[e].chosen, e);
  for (const [q, e] of lastStep) {
    if (q === p || before(nodes, e, cp)) continue;
    let immediate = true;
    for (const [r, m] of lastStep) if (r !== q && m > e && before(nodes, e, nodes[m].clock)) immediate = false;
    if (!immediate) continue;
    const nj = nodes[e];
    const initials = initialsAfter(nodes, e, p, cp, h, true);
    if (initials.some((t) => nj.backtrack.has(t))) continue;
    const t = initials.find((u) => nj.enabled.includes(u) && !nj.sleep.has(u)) ?? initials.find((u) => nj.enabled.includes(u));
    if (t !== undefined) nj.backtrack.add(t);
    else for (const u of nj.enabled) nj.backtrack.add(u);
  }
}

/**
 * Whether p's next step is the one whose races were reversed last time and no step since then
 * touched its locations: then it has no new race, and each old race's v has only grown by steps
 * that are not before p's, which keeps every initial an initial (the backtrack set already holds
 * one). Saves rescanning every pending step's history at every state.
 */
function unchanged(nodes: Node[], p: number, fp: Footprint, st: RunState): boolean {
  const steps = st.clocks[p]?.[p] ?? 0;
  const last = st.checked.get(p);
  st.checked.set(p, { steps, at: nodes.length, fp });
  if (!last || last.steps !== steps || !sameLocs(last.fp, fp)) return false;
  const touched = (l: number) => {
    const h = st.history.get(l);
    return h !== undefined && h.length > 0 && h[h.length - 1].step >= last.at;
  };
  return !fp.r.some(touched) && !fp.w.some(touched);
}

function sameLocs(a: Footprint, b: Footprint): boolean {
  const eq = (x: number[], y: number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
  return eq(a.r, b.r) && eq(a.w, b.w);
}

/** Step m happens before the step with clock c. */
function before(nodes: Node[], m: number, c: number[]): boolean {
  const q = nodes[m].chosen;
  return (c[q] ?? 0) >= nodes[m].clock[q];
}

/**
 * The threads that can start v = (the steps after step i, up to `end`, not after it in
 * happens-before) then p's next step (clock cp): those whose first step in v has no predecessor
 * in v. When p's step ends the execution (`halts`), every step of v is before it.
 */
function initialsAfter(nodes: Node[], i: number, p: number, cp: number[], end = nodes.length, halts = false): number[] {
  const v: number[] = [];
  for (let j = i + 1; j < end; j++) if (!before(nodes, i, nodes[j].clock)) v.push(j);
  if (halts && v.length === 0) return [p];
  const out: number[] = [];
  const seen = new Set<number>();
  for (let x = 0; x < v.length; x++) {
    const j = v[x];
    const q = nodes[j].chosen;
    if (seen.has(q)) continue;
    seen.add(q);
    let first = true; // no step of v before it happens before it
    for (let y = 0; y < x && first; y++) if (before(nodes, v[y], nodes[j].clock)) first = false;
    if (first) out.push(q);
  }
  if (!halts && !seen.has(p) && !v.some((m) => before(nodes, m, cp))) out.push(p);
  return out;
}

/** Move to the deepest node with an unexplored backtrack choice; false when exhausted. */
function backtrack(nodes: Node[], base: number): boolean {
  while (nodes.length > base) {
    const node = nodes[nodes.length - 1];
    node.done.add(node.chosen);
    const next = [...node.backtrack].find((t) => !node.done.has(t) && !node.sleep.has(t));
    if (next !== undefined) {
      node.chosen = next;
      const prev = nodes.length > 1 ? nodes[nodes.length - 2] : null;
      const prevPre = prev ? prev.preemptions : 0;
      node.preemptions = prevPre + (prev && next !== prev.chosen && node.enabled.includes(prev.chosen) ? 1 : 0);
      return true;
    }
    nodes.pop();
  }
  return false;
}

function hasPending(nodes: Node[]): boolean {
  return nodes.some((n) => [...n.backtrack].some((t) => t !== n.chosen && !n.done.has(t) && !n.sleep.has(t)));
}
