/**
 * What in a counterexample matters to its race, for explain: the conflicting accesses of
 * different CPUs (two steps touching a common word, one of them writing it: the explorer's own
 * dependency, as coverage.ts counts it), and the steps that order CPUs or change what they may
 * see (IRQs, locks, IPIs, RCU, TLB flushes, allocation and free). Everything else is a pure
 * internal of a CPU's path and may be folded.
 */
import { Execution, type StepRecord, type World } from './runtime.js';

/** Ops that order CPUs or change what a CPU may see or use: never folded. */
export const SYNC_OPS: ReadonlySet<string> = new Set([
  'irq_disable', 'irq_enable', 'irq_enter', 'irq_exit',
  'spin_lock', 'spin_trylock', 'spin_unlock', 'down_read', 'up_read', 'down_write', 'up_write',
  'ipi_send', 'ipi_wait',
  'rcu_read_lock', 'rcu_read_unlock', 'gp_start', 'gp_wait', 'call_rcu',
  'tlb_flush_local', 'tlbi_broadcast',
  'alloc', 'free',
]);

/** A directly racing pair of steps (indices into the trace): `a` ran first. */
export interface RacePair {
  a: number;
  b: number;
  /** a word both touch */
  loc: number;
}

function touches(s: StepRecord): Array<[number, boolean]> {
  if (!s.locs) return [];
  return [...s.locs.r.map((l): [number, boolean] => [l, false]), ...s.locs.w.map((l): [number, boolean] => [l, true])];
}

/**
 * Steps (positions in `steps`) that conflict with a step of another CPU, at any distance: the
 * accesses a reader of the trace must see to follow the race.
 */
export function conflictingSteps(steps: StepRecord[]): Set<number> {
  const byLoc = new Map<number, Array<{ i: number; cpu: number; w: boolean }>>();
  steps.forEach((s, i) => {
    for (const [l, w] of touches(s)) {
      let list = byLoc.get(l);
      if (!list) byLoc.set(l, (list = []));
      list.push({ i, cpu: s.cpu, w });
    }
  });
  const out = new Set<number>();
  for (const list of byLoc.values())
    for (const x of list) if (list.some((y) => y.cpu !== x.cpu && (x.w || y.w))) out.add(x.i);
  return out;
}

/** Happens-before over a trace's steps: program order and conflicts (a write and the accesses
 * of its word before and after it). `before(a, b)`: step a happens before step b, or is b. */
export interface Order {
  before(a: number, b: number): boolean;
  /** the earlier steps a step depends on directly, with the word of each dependency */
  preds: Array<Array<{ step: number; loc: number }>>;
  /** each step's previous step of its thread, or -1 */
  prev: number[];
}

export function happensBefore(steps: StepRecord[]): Order {
  const threads = new Map<number, number>(); // thread id -> dense index
  for (const s of steps) if (!threads.has(s.thread)) threads.set(s.thread, threads.size);
  const n = threads.size;
  const clocks: Int32Array[] = []; // clocks[i][t]: how many steps of thread t happen before i (i included)
  const local: number[] = [];
  const prev: number[] = [];
  const preds: Order['preds'] = [];
  const lastOf = new Map<number, number>();
  const lastWrite = new Map<number, number>();
  const readsSince = new Map<number, number[]>();
  steps.forEach((s, i) => {
    const p = lastOf.get(s.thread) ?? -1;
    const deps: Array<{ step: number; loc: number }> = [];
    for (const [l, w] of touches(s)) {
      const lw = lastWrite.get(l);
      if (lw !== undefined) deps.push({ step: lw, loc: l });
      if (w) for (const r of readsSince.get(l) ?? []) if (r !== i) deps.push({ step: r, loc: l });
    }
    const c = new Int32Array(n);
    if (p >= 0) c.set(clocks[p]);
    for (const d of deps) for (let k = 0; k < n; k++) if (clocks[d.step][k] > c[k]) c[k] = clocks[d.step][k];
    local[i] = p < 0 ? 0 : local[p] + 1;
    c[threads.get(s.thread)!] = local[i] + 1;
    clocks[i] = c;
    prev[i] = p;
    preds[i] = deps;
    lastOf.set(s.thread, i);
    for (const [l, w] of touches(s)) {
      if (w) {
        lastWrite.set(l, i);
        readsSince.set(l, []);
      } else {
        let rs = readsSince.get(l);
        if (!rs) readsSince.set(l, (rs = []));
        if (rs[rs.length - 1] !== i) rs.push(i);
      }
    }
  });
  return { before: (a, b) => clocks[b][threads.get(steps[a].thread)!] > local[a], preds, prev };
}

/**
 * The races of the trace as DPOR sees them: conflicting steps of different CPUs with nothing
 * ordering them but their own conflict (no other chain of program order and conflicts from the
 * first to the second). Reversing one of these is what would change the execution; the pairs
 * the trace also orders through others are left out.
 */
export function racePairs(steps: StepRecord[], order = happensBefore(steps)): RacePair[] {
  const out: RacePair[] = [];
  steps.forEach((s, b) => {
    const deps = order.preds[b];
    const seen = new Set<number>();
    for (const { step: a, loc } of deps) {
      if (steps[a].cpu === s.cpu || seen.has(a)) continue;
      seen.add(a);
      const others = [order.prev[b], ...deps.map((d) => d.step)].filter((o) => o >= 0 && o !== a);
      if (!others.some((o) => order.before(a, o))) out.push({ a, b, loc });
    }
  });
  return out;
}

/**
 * The races that decide the violation: reversed (b run before a, the steps after a that do not
 * depend on it kept before them, the rest of the schedule followed where it still can be, then
 * whatever thread is enabled), the execution no longer breaks the property. A heuristic for
 * what to show first, not a proof: another completion could still break it.
 */
export function decisiveRaces(cx: { schedule: number[]; steps: StepRecord[]; violation: { property: string } }, makeWorld: () => World, pairs?: RacePair[]): RacePair[] {
  const order = happensBefore(cx.steps);
  return (pairs ?? racePairs(cx.steps, order)).filter((p) => {
    const moved = cx.steps.map((_, i) => i).filter((i) => i > p.a && i < p.b && order.before(p.a, i));
    const kept = cx.steps.map((_, i) => i).filter((i) => i > p.a && i < p.b && !order.before(p.a, i));
    const head = [...cx.steps.slice(0, p.a).map((s) => s.thread), ...kept.map((i) => cx.steps[i].thread), cx.steps[p.b].thread, cx.steps[p.a].thread];
    const guide = [...moved.map((i) => cx.steps[i].thread), ...cx.steps.slice(p.b + 1).map((s) => s.thread)];
    try {
      const exec = new Execution(makeWorld(), false);
      for (const t of head) {
        if (!exec.isEnabled(exec.threads[t])) return false; // the reversal cannot run as such
        exec.step(t);
      }
      for (const t of guide) if (exec.threads[t] && exec.isEnabled(exec.threads[t])) exec.step(t);
      for (let en = exec.enabled(); en.length > 0; en = exec.enabled()) exec.step(en[0]);
      exec.finish();
      return !exec.cut && exec.violation?.property !== cx.violation.property;
    } catch {
      return false; // e.g. the reversal reaches kernel code the model leaves out
    }
  });
}
