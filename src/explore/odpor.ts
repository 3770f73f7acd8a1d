/**
 * Optimal DPOR (Abdulla, Aronis, Jonsson, Sagonas, POPL 2014; "Source sets", JACM 2017): source
 * sets with wakeup trees and sleep sets, aiming at one explored execution per Mazurkiewicz trace.
 * Same contract as the Flanagan–Godefroid explorer in dpor.ts (`reduction: 'optimal'`).
 *
 * The search is a stateless DFS: every node of the current execution E keeps its sleep set (the
 * threads whose subtrees below this state are already covered, with their pending footprints) and
 * its wakeup tree (ordered sequences still to explore below it; the first child is the one being
 * explored). When an execution ends, its races are reversed: for a step e' of thread p and an
 * earlier dependent step e of another thread that does not happen before p's previous step, the
 * wakeup sequence v = notdep(e, E).p (the steps after e that do not happen after e, then p) is
 * inserted at the state before e, unless a thread in that state's sleep set is a weak initial of
 * v or the tree already holds a leaf that is a weak prefix of v (Nidhugg's insertion).
 *
 * Identity of threads. Threads spawned mid-execution (IPI handlers, RCU callbacks) get ids in the
 * order they are spawned, which differs between equivalent executions, so wakeup sequences name
 * threads by a stable key (the spawner's key, its step count and the spawn's rank in that step)
 * and are resolved to ids in the state where they run. Sleep sets stay keyed by id: they live at
 * one state, whose threads are fixed.
 *
 * Blocking. A step can be not enabled (lock held, IPI handler not finished, grace period, task
 * context interrupted); whether it is enabled is a function of its guard locations, which are in
 * its footprint (Machine.guardLocs, and the CPU's context word for tasks). Races are therefore only
 * reversed where the reversed step is enabled, which is decided exactly: if no guard location of
 * the step is last written by e or a step after e, the step is as enabled as it was in E;
 * otherwise the state before e followed by notdep(e, E) is re-executed and asked. A race whose
 * reversal is blocked is not a race (unlock then lock: the lock would find the lock held), and the
 * search looks further back along the same step's dependent predecessors, as Nidhugg does for
 * mutexes (the reversal then goes to the lock acquisition before the unlock). Predecessors that
 * happen before an already reversible race are skipped, as in the paper. Pending steps at the end
 * of an execution (blocked at a deadlock, enabled but asleep at a sleep-set-blocked end, or cut
 * short by a violation) take part as steps at the end. Optimality is only claimed without
 * blocking: with blocking, sleep-set-blocked executions can still occur (as in Nidhugg); they are
 * counted apart, as in dpor.ts.
 *
 * Executions that end early. A step that raises a violation, or at which a loop bound cuts the
 * execution, disables every other thread: it is dependent with every step (halting in dpor.ts),
 * so every step of E happens before it and every pending step races with it. The reversal of
 * such a race, when the pending step is independent of the ending one, is the pending step then
 * the ending one (which sees the same values, so ends the execution again): that execution, not
 * the pending step followed by anything, is the trace wanted, and a sleeping thread independent
 * of the pending step alone does not cover it. The ending step's own races are with the steps of
 * other threads nothing follows. Whether a reversed step ends the execution in its new place is
 * only known for a step that reads what it read in E; any other is taken at its footprint. That
 * is sound: when a thread r is judged to cover a sequence v whose last step turns out to end the
 * execution, r is independent of all of v, so r.v ends there too, is explored below r, and its
 * ending step's race with r inserts v (see test/dpor.test.ts, executions that end early).
 *
 * Footprints depend on the state (a pointer load follows the entry it reads), so the footprint of
 * a reversed step is only known in the reordered state: the redundancy check first runs with that
 * step dependent on everything (which can only say "redundant" when it is), and the reordered
 * state is re-executed for the exact footprint before anything is inserted.
 *
 * Work items (`root`): the prefix is replayed as frozen nodes, never backtracked, with no wakeup
 * trees (races reaching back into it are dropped: their sequences belong to other children of
 * the prefix states, which the split expands fully), and the first free node starts with
 * root.sleep. Unlike FG's, ODPOR's sleep sets also decide redundancy of wakeup sequences, which
 * for a thread asleep since the root needs more care: see Races.insert.
 *
 * Fallback: a wakeup-tree child that is not enabled where it is to run cannot happen by the above
 * (a step of notdep sees the same values as in E); if it ever does, the state is expanded fully
 * (every enabled thread not in the sleep set), which is sound, and odporStats.fallbacks counts it.
 */
import type { Effect } from '../machine/effects.js';
import type { Footprint } from '../machine/machine.js';
import { dependent, type ExploreOptions, type ExploreResult, ended, halting, halts, noteExecution, outOfBudget } from './dpor.js';
import { HappensBefore } from './happens-before.js';
import { Execution, type World } from './runtime.js';

/** Counters of the last exploreOptimal call, for tests and benchmarks. */
export const odporStats = { replays: 0, insertions: 0, fallbacks: 0 };

/** A wakeup-tree node: the step of thread `key` (its footprint in the state it runs from). */
interface WNode {
  key: string;
  fp: Footprint;
  children: WNode[];
}

interface ONode {
  enabled: number[];
  /** Pending footprints of every live thread at this state. */
  fps: Map<number, Footprint>;
  /** Sleep set; the chosen thread joins it when its subtree is done. */
  sleep: Map<number, Footprint>;
  /** The part of the sleep set that comes from root.sleep (see sleepCovers). */
  rootSleep: Set<number>;
  /** Wakeup tree below this state; wut[0] is the child being explored (empty for prefix nodes). */
  wut: WNode[];
  chosen: number;
  /** Clock of the step taken from this state. */
  clock: number[];
  /** Clock of the chosen thread before this step (its previous step, or its spawn). */
  tclock: number[];
  /** Position of the chosen thread's previous step, or -1. */
  prev: number;
  /** Guard locations of the chosen step (see guardOf), set as it is taken. */
  guard: number[];
  /** Whether the chosen step's footprint depends on the state (see varies). */
  varies: boolean;
  /** Threads that exist at this state (ids below this). */
  nThreads: number;
}

/**
 * An execution that names its threads by stable keys, and IPI slots too: the machine numbers an
 * IPI by the count of IPIs sent before it, which independent sends do not preserve, so a
 * footprint names the location of an IPI by the step that sent it (its thread's key and step
 * count), interned to a number above every machine location.
 */
class Run {
  readonly exec: Execution;
  readonly keys: string[] = [];
  readonly ids = new Map<string, number>();
  /** machine location of an IPI slot -> its stable location */
  private readonly slots = new Map<number, number>();

  constructor(
    world: World,
    private readonly names: Map<string, number>,
  ) {
    this.exec = new Execution(world, false);
    for (const t of this.exec.threads) this.name(t.id, `${t.id}`);
  }

  private name(id: number, key: string): void {
    this.keys[id] = key;
    this.ids.set(key, id);
  }

  private slotName(tid: number, steps: number): number {
    const name = `${this.keys[tid]}#${steps}`;
    let n = this.names.get(name);
    if (n === undefined) this.names.set(name, (n = SLOT_BASE + this.names.size));
    return n;
  }

  /** Footprint of the thread's pending step, IPI slots named stably. */
  fp(tid: number): Footprint {
    const raw = this.exec.footprint(tid);
    const t = this.exec.threads[tid];
    if (t.pending?.op === 'ipi_send') return { r: raw.r, w: [this.slotName(tid, t.steps + 1)] };
    if (this.slots.size === 0) return raw;
    const map = (l: number) => this.slots.get(l) ?? l;
    return { r: raw.r.map(map), w: raw.w.map(map) };
  }

  /** The machine's guard locations of an effect, IPI slots named stably. */
  guard(e: Effect, cpu: number): number[] {
    return this.exec.machine.guardLocs(e, cpu).map((l) => this.slots.get(l) ?? l);
  }

  step(id: number): void {
    const before = this.exec.threads.length;
    const t = this.exec.threads[id];
    const sendSlot = t.pending?.op === 'ipi_send' ? this.exec.footprint(id).w[0] : -1;
    this.exec.step(id);
    if (sendSlot >= 0) this.slots.set(sendSlot, this.slotName(id, t.steps));
    for (let n = before; n < this.exec.threads.length; n++) this.name(n, `${this.keys[id]}/${t.steps}.${n - before}`);
  }
}

const SLOT_BASE = 2 ** 30;

/** Locations whose values decide whether the thread's pending step is enabled: what the machine
 * reads for it, and for a task its CPU's interrupt-context word. */
function guardOf(run: Run, tid: number): number[] {
  const t = run.exec.threads[tid];
  const out = t.pending ? run.guard(t.pending, t.cpu) : [];
  if (t.kind === 'task') out.push(run.exec.machine.ctxLoc(t.cpu));
  return out;
}

/** Whether the footprint of the thread's pending step depends on the state: not for an IPI send,
 * whose slot Run names by the sending step. */
function varies(run: Run, tid: number): boolean {
  const e = run.exec.threads[tid].pending;
  return e !== null && e.op !== 'ipi_send' && run.exec.machine.footprintVaries(e);
}

interface RunOut {
  kind: 'complete' | 'blocked';
  run: Run;
  st: RunState;
  /** Threads enabled at the end (before the deadlock oracle); null when a violation or a loop
   * bound stopped the execution (then its last step is not replayable past). */
  endEnabled: number[] | null;
}

export function exploreOptimal(makeWorld: () => World, opts: ExploreOptions): ExploreResult {
  odporStats.replays = 0;
  odporStats.insertions = 0;
  odporStats.fallbacks = 0;
  const t0 = Date.now();
  const stopAt = opts.stopAtViolation ?? true;
  const nodes: ONode[] = [];
  const base = opts.root?.prefix.length ?? 0;
  const res: ExploreResult = { verdict: 'verified', executions: 0, sleepBlocked: 0, cutAtBound: 0, maxDepth: 0, ms: 0, observed: new Map() };
  let fresh = base;
  /** stable names of IPI slots (see Run) */
  const names = new Map<string, number>();
  for (;;) {
    const out = runOne(makeWorld, nodes, opts, base, names);
    const exec = out.run.exec;
    res.maxDepth = Math.max(res.maxDepth, nodes.length);
    if (out.kind === 'blocked') res.sleepBlocked++;
    else if (noteExecution(res, exec, nodes.map((n) => n.chosen), opts, stopAt)) break;
    new Races(makeWorld, names, nodes, base, out).analyse(fresh);
    if (outOfBudget(res, opts, t0)) break;
    const b = backtrack(nodes, base, out.run);
    if (b < 0) break;
    fresh = b;
  }
  if (res.budget && res.verdict !== 'violated') {
    if (nodes.slice(base).some((n) => n.wut.length > 1)) res.verdict = 'unknown';
    else res.budget = undefined; // the budget ran out exactly as the search finished
  }
  res.ms = Date.now() - t0;
  return res;
}

/** Replays the current prefix, then extends it to a maximal execution along the wakeup trees. */
function runOne(makeWorld: () => World, nodes: ONode[], opts: ExploreOptions, base: number, names: Map<string, number>): RunOut {
  const run = new Run(makeWorld(), names);
  const exec = run.exec;
  const st = new RunState();
  for (let d = 0; d < Math.max(nodes.length, base); d++) {
    if (d === nodes.length) nodes.push(prefixNode(run, opts.root!.prefix[d]));
    stepWithClock(run, nodes, d, st);
  }
  for (;;) {
    if (ended(exec)) {
      const last = nodes[nodes.length - 1];
      if (last) last.fps.set(last.chosen, halting(last.fps.get(last.chosen)!));
      return { kind: 'complete', run, st, endEnabled: null };
    }
    const d = nodes.length;
    const enabled = exec.enabled();
    const fps = new Map<number, Footprint>();
    for (const t of exec.threads) if (t.pending) fps.set(t.id, run.fp(t.id));
    if (enabled.length === 0) {
      exec.finish();
      return { kind: 'complete', run, st, endEnabled: [] };
    }
    const parent = d > 0 ? nodes[d - 1] : null;
    const free = d > base;
    // the root's sleeping threads wait at the same steps: their footprints are read again here,
    // with IPI slots named as this search names them
    const sleep = free ? childSleep(parent!) : new Map([...(opts.root?.sleep.keys() ?? [])].map((q) => [q, run.fp(q)]));
    const wut = free ? parent!.wut[0].children : [];
    const rootSleep = new Set(free ? [...parent!.rootSleep].filter((q) => sleep.has(q)) : sleep.keys());
    let chosen = -1;
    while (wut.length > 0) {
      const id = run.ids.get(wut[0].key);
      if (id !== undefined && sleep.has(id)) wut.shift(); // covered already: sleep sets are sound
      else if (id === undefined || !enabled.includes(id)) fallback(wut, enabled, sleep, fps, run);
      else {
        chosen = id;
        break;
      }
    }
    if (chosen < 0) {
      const candidates = enabled.filter((t) => !sleep.has(t));
      if (candidates.length === 0) return { kind: 'blocked', run, st, endEnabled: enabled };
      const prev = parent ? parent.chosen : -1;
      chosen = candidates.includes(prev) ? prev : candidates[0];
      wut.push({ key: run.keys[chosen], fp: fps.get(chosen)!, children: [] });
    }
    nodes.push({ enabled, fps, sleep, rootSleep, wut, chosen, clock: [], tclock: [], prev: -1, guard: [], varies: false, nThreads: exec.threads.length });
    stepWithClock(run, nodes, d, st);
  }
}

/** A wakeup-tree child cannot run where it should (never expected, see the header): expand the
 * state fully instead, which is sound. */
function fallback(wut: WNode[], enabled: number[], sleep: Map<number, Footprint>, fps: Map<number, Footprint>, run: Run): void {
  odporStats.fallbacks++;
  wut.shift();
  for (const t of enabled)
    if (!sleep.has(t) && !wut.some((c) => c.key === run.keys[t])) wut.push({ key: run.keys[t], fp: fps.get(t)!, children: [] });
}

/** A frozen node of the root prefix: its one choice, never backtracked, no wakeup tree. */
function prefixNode(run: Run, t: number): ONode {
  const exec = run.exec;
  const enabled = exec.enabled();
  if (!enabled.includes(t)) throw new Error(`root prefix: thread ${t} is not enabled at step ${exec.stepCount}`);
  const fps = new Map<number, Footprint>();
  for (const th of exec.threads) if (th.pending) fps.set(th.id, run.fp(th.id));
  return { enabled, fps, sleep: new Map(), rootSleep: new Set(), wut: [], chosen: t, clock: [], tclock: [], prev: -1, guard: [], varies: false, nThreads: exec.threads.length };
}

/** Sleep set of the state reached by the node's chosen step. */
function childSleep(node: ONode): Map<number, Footprint> {
  const fp = node.fps.get(node.chosen)!;
  const out = new Map<number, Footprint>();
  for (const [t, f] of node.sleep) if (t !== node.chosen && !dependent(f, fp)) out.set(t, f);
  return out;
}

/** Move to the deepest node with a wakeup-tree child left; its depth, or -1 when exhausted. */
function backtrack(nodes: ONode[], base: number, run: Run): number {
  while (nodes.length > base) {
    const d = nodes.length - 1;
    const node = nodes[d];
    node.sleep.set(node.chosen, node.fps.get(node.chosen)!);
    node.wut.shift();
    while (node.wut.length > 0) {
      const got = run.ids.get(node.wut[0].key);
      const id = got !== undefined && got < node.nThreads ? got : undefined;
      if (id !== undefined && node.sleep.has(id)) node.wut.shift();
      else if (id === undefined || !node.enabled.includes(id)) fallback(node.wut, node.enabled, node.sleep, node.fps, run);
      else {
        node.chosen = id;
        return d;
      }
    }
    nodes.pop();
  }
  return -1;
}

/** Happens-before bookkeeping (happens-before.ts), plus each thread's last position. */
class RunState extends HappensBefore {
  /** position of each thread's last step */
  readonly lastPos: number[] = [];
}

function stepWithClock(run: Run, nodes: ONode[], d: number, st: RunState): void {
  const exec = run.exec;
  const node = nodes[d];
  const p = node.chosen;
  node.tclock = (st.clocks[p] ?? []).slice();
  node.prev = st.lastPos[p] ?? -1;
  st.lastPos[p] = d;
  node.guard = guardOf(run, p);
  node.varies = varies(run, p);
  const c = st.record(nodes, d, p, node.fps.get(p)!);
  const before = exec.threads.length;
  run.step(p);
  c[p] = exec.threads[p].steps;
  node.clock = c;
  st.clocks[p] = c;
  for (let t = before; t < exec.threads.length; t++) st.clocks[t] = c.slice();
}


/** A step of a wakeup sequence: a step of E (pos) or the reversed step at its end (pos -1, whose
 * footprint is null while unknown: dependent with everything). */
interface Item {
  key: string;
  pos: number;
  fp: Footprint | null;
}

/** The reversed step's direct happens-before predecessors within a sequence. */
interface Last {
  key: string;
  /** position in E of the step that spawned its thread, or -1 */
  spawnPos: number;
}

/** Race reversal on one execution: finds races, builds wakeup sequences, inserts them. */
class Races {
  private readonly nodes: ONode[];
  private readonly keys: string[];
  private readonly n: number;
  /** steps of E a wakeup sequence may contain (a step that raised a violation is not replayable) */
  private readonly nEff: number;
  /** the step that ended E (a violation or a loop bound: see halting in dpor.ts), or -1; every
   * step before it happens before it */
  private readonly halt: number;
  private readonly notdepCache = new Map<number, Item[]>();
  private readonly reachCache = new Map<number, Run>();

  constructor(
    private readonly makeWorld: () => World,
    private readonly names: Map<string, number>,
    nodes: ONode[],
    private readonly base: number,
    private readonly out: RunOut,
  ) {
    this.nodes = nodes;
    this.keys = out.run.keys;
    this.n = nodes.length;
    this.nEff = out.endEnabled === null ? this.n - 1 : this.n;
    this.halt = out.endEnabled === null && this.n > base ? this.n - 1 : -1;
  }

  /** Races whose later step is at or after `fresh` (earlier ones were reversed by earlier runs),
   * and those of the steps pending at the end. */
  analyse(fresh: number): void {
    const { nodes } = this;
    for (let t = Math.max(fresh, this.base + 1); t < this.n; t++) {
      const node = nodes[t];
      this.target(t, node.chosen, node.fps.get(node.chosen)!, node.tclock, node.prev, node.guard, node.varies, true);
    }
    const exec = this.out.run.exec;
    for (const th of exec.threads) {
      if (!th.pending) continue;
      // spawned by the step that ended E: after it, so after every step (no race)
      if (this.halt >= 0 && th.parentStep === this.halt) continue;
      const enabled = this.out.endEnabled === null ? undefined : this.out.endEnabled.includes(th.id);
      const run = this.out.run;
      this.target(this.n, th.id, run.fp(th.id), this.out.st.clocks[th.id] ?? [], this.out.st.lastPos[th.id] ?? -1, guardOf(run, th.id), varies(run, th.id), enabled);
    }
  }

  /** Whether step a happens before step b (a < b) in E. */
  private hb(a: number, b: number): boolean {
    if (b === this.halt) return true;
    const q = this.nodes[a].chosen;
    return (this.nodes[b].clock[q] ?? 0) >= this.nodes[a].clock[q];
  }

  /** Whether removing step k and what happens after it changes the last write of l before t. */
  private changed(l: number, t: number, k: number): boolean {
    const h = this.out.st.history.get(l);
    if (!h) return false;
    for (let i = h.length - 1; i >= 0; i--) {
      const a = h[i];
      if (a.step >= t || !a.write) continue;
      return a.step === k || (a.step > k && this.hb(k, a.step));
    }
    return false;
  }

  /**
   * The races of thread p's step at position t (t = n: its step pending at the end), with
   * footprint fp, thread clock cp before it and guard locations `guard`; enabledAtT: whether it
   * was enabled at t in E (undefined: not known).
   */
  private target(t: number, p: number, fp: Footprint, cp: number[], prev: number, guard: number[], fpVaries: boolean, enabledAtT: boolean | undefined): void {
    const { nodes, base } = this;
    const hist = this.out.st.history;
    const cands = new Set<number>();
    const scan = (l: number, pWrites: boolean) => {
      for (const a of hist.get(l) ?? []) {
        if (a.step >= t) break;
        if (a.step < base || !(a.write || pWrites)) continue;
        const q = nodes[a.step].chosen;
        if (q === p || (nodes[a.step].clock[q] ?? 0) <= (cp[q] ?? 0)) continue; // happens before p's previous step
        cands.add(a.step);
      }
    };
    for (const l of fp.r) scan(l, false);
    for (const l of fp.w) scan(l, true);
    const halt = this.halt;
    if (halt >= base && t === halt) {
      // the step that ended E races with every step of another thread (the immediate ones are
      // those nothing after them follows: the loop below skips the others)
      for (let m = base; m < t; m++) {
        const q = nodes[m].chosen;
        if (q !== p && (nodes[m].clock[q] ?? 0) > (cp[q] ?? 0)) cands.add(m);
      }
    } else if (halt >= base && t === this.n && p < nodes[halt].nThreads && p !== nodes[halt].chosen) cands.add(halt); // and every pending step with it
    if (cands.size === 0) return;
    const order = [...cands].sort((a, b) => b - a);
    const key = this.keys[p];
    const last: Last = { key, spawnPos: this.out.run.exec.threads[p].parentStep };
    /** steps whose race with t is reversible: earlier steps that happen before one of them are not
     * races of t (t is reached through them) */
    const reversible: number[] = [];
    for (const k of order) {
      if (reversible.some((f) => this.hb(k, f))) continue;
      if (k === halt && t === this.n) {
        // p's step before the one that ended E: enabled there, from the same state, or blocked
        // there already (then its races are further back)
        if (!nodes[k].enabled.includes(p)) continue;
        reversible.push(k);
        // When p's step is independent of the ending step (which then sees the same values), v
        // ends with the ending step: the trace wanted is the execution ending there after p's
        // step, which a sleeping thread independent of p's step alone does not cover.
        const fq = nodes[k].fps.get(p)!;
        const fh = nodes[k].fps.get(nodes[k].chosen)!;
        const v: Item[] = [{ key, pos: -1, fp: fq }];
        if (!dependent(fq, { r: fh.r, w: fh.w })) v.push({ key: this.keys[nodes[k].chosen], pos: -1, fp: fh });
        if (!this.sleepCovers(nodes[k], v, last) && !this.insert(nodes[k], v, last, false)) odporStats.insertions++;
        continue;
      }
      const guardChanged = guard.some((l) => this.changed(l, t, k));
      let feasible = guardChanged ? this.enabledWithout(k, t, p, prev, guard) : enabledAtT;
      if (feasible === false) continue; // still blocked with e_k out of the way: look further back
      const locsChanged = (fpVaries || halts(fp)) && (fp.r.some((l) => this.changed(l, t, k)) || fp.w.some((l) => this.changed(l, t, k)));
      const fpChanged = fpVaries && locsChanged;
      // the step that ended E ends the reordered execution too if it sees the same values;
      // otherwise, like any reversed step, it is taken at its footprint
      const fpThere = halts(fp) && locsChanged ? { r: fp.r, w: fp.w } : fp;
      const items = this.notdep(k);
      let v: Item[] = [...items, { key, pos: -1, fp: fpChanged ? null : fpThere }];
      const node = nodes[k];
      const redundant = this.sleepCovers(node, v, last) || this.insert(node, v, last, true);
      // Covered already, but whether the reversal is even enabled is not known: rather than
      // re-execute to find out, treat it as possibly blocked and look further back too (sound:
      // more candidates are examined, each against the same redundancy checks).
      if (redundant && feasible === undefined) continue;
      if (feasible === undefined || (!redundant && v[v.length - 1].fp === null)) {
        const r = this.reach(k, items);
        const id = r.ids.get(key);
        feasible = id !== undefined && r.exec.isEnabled(r.exec.threads[id]);
        if (feasible) v = [...items, { key, pos: -1, fp: r.fp(id!) }];
      }
      if (!feasible) continue; // not a race: the reversed step would be blocked
      reversible.push(k);
      if (redundant || this.sleepCovers(node, v, last)) continue;
      if (!this.insert(node, v, last, false)) odporStats.insertions++;
    }
  }

  /**
   * Whether thread p's step at t (its previous step at `prev`) is enabled once step k and the
   * steps after it are taken out, when that can be read off E without re-executing: let s be the
   * first removed step that writes a guard location; if no step kept writes one between s and t,
   * the guard holds in the reordered state what it held at s, where p was already waiting at the
   * same step, so p is enabled there iff it was at s. Otherwise undefined.
   */
  private enabledWithout(k: number, t: number, p: number, prev: number, guard: number[]): boolean | undefined {
    const hist = this.out.st.history;
    const removed = (m: number) => m === k || (m > k && this.hb(k, m));
    let s = t;
    for (const l of guard)
      for (const a of hist.get(l) ?? []) {
        if (a.step >= s) break;
        if (a.write && a.step >= k && removed(a.step)) s = a.step;
      }
    if (s === t || prev >= s || p >= this.nodes[s].nThreads) return undefined;
    for (const l of guard)
      for (const a of hist.get(l) ?? []) {
        if (a.step >= t) break;
        if (a.write && a.step > s && !removed(a.step)) return undefined;
      }
    return this.nodes[s].enabled.includes(p);
  }

  /** The steps after k that do not happen after it (notdep(e_k, E)). */
  private notdep(k: number): Item[] {
    let items = this.notdepCache.get(k);
    if (items) return items;
    items = [];
    for (let m = k + 1; m < this.nEff; m++)
      if (!this.hb(k, m)) {
        const node = this.nodes[m];
        items.push({ key: this.keys[node.chosen], pos: m, fp: node.fps.get(node.chosen)! });
      }
    this.notdepCache.set(k, items);
    return items;
  }

  /** Re-execute the state before step k followed by notdep(e_k, E). */
  private reach(k: number, items: Item[]): Run {
    let r = this.reachCache.get(k);
    if (r) return r;
    odporStats.replays++;
    r = new Run(this.makeWorld(), this.names);
    for (let d = 0; d < k; d++) r.step(this.nodes[d].chosen);
    for (const it of items) {
      const id = r.ids.get(it.key);
      if (id === undefined || !r.exec.isEnabled(r.exec.threads[id]))
        throw new Error(`optimal DPOR: internal error: step ${it.pos} of notdep(${k}) does not replay`);
      r.step(id);
    }
    this.reachCache.set(k, r);
    return r;
  }

  /** Whether item a (before b in the sequence) is a direct happens-before predecessor of b; for
   * the last item this is enough (see isWeakInitial). */
  private precedes(a: Item, b: Item, last: Last): boolean {
    if (b.pos >= 0) return this.hb(a.pos, b.pos);
    if (b.fp === null) return true;
    return a.key === last.key || a.pos === last.spawnPos || dependent(a.fp!, b.fp);
  }

  /**
   * Whether thread `key`, whose next step has footprint fp, is a weak initial of v: its first step
   * in v has no happens-before predecessor in v, or it has no step in v and is independent of all
   * of v. Returns the index of that step, -1 (weak initial, not in v) or -2 (not a weak initial).
   * A predecessor of the last item that is in v is always reached through a direct one in v: the
   * steps on the chain after it cannot have been removed as initials before it.
   */
  private isWeakInitial(v: Item[], key: string, fp: Footprint, last: Last): number {
    const i = v.findIndex((x) => x.key === key);
    if (halts(fp)) return i === 0 ? 0 : -2; // a step that ends the execution goes first or not at all
    if (i >= 0) {
      for (let j = 0; j < i; j++) if (this.precedes(v[j], v[i], last)) return -2;
      return i;
    }
    for (const x of v) if (x.fp === null || dependent(x.fp, fp)) return -2;
    return -1;
  }

  /**
   * Whether a thread of the sleep set is a weak initial of v (then v is redundant). Not for the
   * threads asleep since the root of a work item (see insert).
   */
  private sleepCovers(node: ONode, v: Item[], last: Last): boolean {
    for (const [q, fq] of node.sleep)
      if (!node.rootSleep.has(q) && this.isWeakInitial(v, this.keys[q], fq, last) !== -2) return true;
    return false;
  }

  /**
   * Insert v into the wakeup tree of the node (whose first child, being explored, is skipped: the
   * last step of v depends on its step). Walk down through children that are weak initials of
   * what is left of v; reaching a leaf, or using v up, means v is covered. Returns whether it was
   * covered (with dry, nothing is changed).
   *
   * Threads asleep since the root of a work item (root.sleep, not woken since) are covered by
   * other work items, which explored every trace where such a thread can go first; but unlike a
   * sibling explored earlier in the same search, that search cannot have inserted anything into
   * this one's wakeup trees, which ODPOR's redundancy check for a thread that is merely a weak
   * initial (not in v, independent of it) relies on (test/dpor.test.ts has a program whose
   * trace is lost that way). So for them: v is covered only if the thread is an initial of what
   * is left of v (then every extension can start with it, back to the root); a weak match through
   * such a child is not taken; and no branch starts with one.
   */
  private insert(node: ONode, v: Item[], last: Last, dry: boolean): boolean {
    const asleep = new Map<string, Footprint>();
    for (const q of node.rootSleep) asleep.set(this.keys[q], node.sleep.get(q)!);
    let rest = v.slice();
    let cur = node.wut;
    let from = 1;
    outer: for (;;) {
      if (rest.length === 0) return true;
      for (const [qk, fq] of asleep) if (this.isWeakInitial(rest, qk, fq, last) >= 0) return true;
      for (let ci = from; ci < cur.length; ci++) {
        const c = cur[ci];
        const i = this.isWeakInitial(rest, c.key, c.fp, last);
        if (i === -2 || (i === -1 && asleep.has(c.key))) continue;
        if (i >= 0) rest = [...rest.slice(0, i), ...rest.slice(i + 1)];
        if (c.children.length === 0) return true;
        for (const [qk, fq] of asleep) if (dependent(fq, c.fp)) asleep.delete(qk);
        cur = c.children;
        from = 0;
        continue outer;
      }
      if (!dry) {
        let chain: WNode[] = [];
        const head = chain;
        for (const it of rest) {
          const next: WNode[] = [];
          chain.push({ key: it.key, fp: it.fp!, children: next });
          chain = next;
        }
        cur.push(head[0]);
      }
      return false;
    }
  }
}
