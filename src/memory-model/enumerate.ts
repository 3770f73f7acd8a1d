/**
 * Brute-force LKMM (or any axiomatic model): herd7's method. Each thread is run on every
 * combination of values its reads may return; every choice of one trace per thread, of a write
 * for each read to read from (same location, same value), and of a coherence order per location
 * is a candidate execution; the model's axioms filter them. Two prunings drop only candidates
 * that coherence rejects anyway: a read never reads from a po-later write of its own thread, and
 * an RMW's write follows the write its read saw immediately in co (see coOrders).
 *
 * The values a location may hold are found by a fixpoint: start from the initial values, run the
 * threads, add every value they write, and repeat. A value that needs a chain of k writes appears
 * within k rounds, so the rounds are bounded by the number of writes an execution can have.
 * Values that nothing computes (out of thin air) never enter the domain.
 *
 * Exponential, and meant to be: it is the reference the execution-graph explorer is checked
 * against, and fast enough for litmus tests of a few dozen events.
 */
import { type EventDraft, type Step, opLoc, resultChoices, stepEvents } from './events.js';
import type { Execution, MemEvent } from './execution.js';
import { lkmm } from './lkmm/index.js';
import type { ConsistencyModel } from './model.js';
import type { EngineResult, MmProgram, Outcome, Registers, ThreadProgram } from './ops.js';

export interface EnumerateOptions {
  model?: ConsistencyModel;
  /** Most candidate executions to check before giving up (complete: false). */
  budget?: number;
  /** Keep the two prunings (default); false checks every candidate, for the test that shows the
   *  prunings drop nothing consistent. */
  prune?: boolean;
}

/** One complete run of a thread: its steps and final registers. */
export interface ThreadTrace {
  steps: Step[];
  registers: Registers;
}

const MAX_ROUNDS = 64;
const MAX_TRACES = 100_000;

/** Every trace of a thread when each read may return any value of its location's domain. */
export function threadTraces(thread: ThreadProgram, domain: (loc: number) => Iterable<number>): ThreadTrace[] {
  const out: ThreadTrace[] = [];
  const explore = (prefix: number[]): void => {
    if (out.length > MAX_TRACES) throw new Error(`a thread has more than ${MAX_TRACES} traces`);
    const gen = thread();
    const steps: Step[] = [];
    let sent = 0;
    let r = gen.next();
    while (!r.done) {
      const op = r.value;
      const choices = resultChoices(op, domain);
      let result = 0;
      if (choices) {
        if (sent === prefix.length) {
          for (const c of choices) explore([...prefix, c]);
          return;
        }
        result = prefix[sent++];
      }
      steps.push({ op, result });
      r = gen.next(result);
    }
    out.push({ steps, registers: r.value });
  };
  explore([]);
  return out;
}

/** Values written to each location by the traces (an RMW's new value, a store's value). */
function writtenValues(traces: ThreadTrace[][]): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  for (const ts of traces) for (const t of ts) for (const [i, s] of t.steps.entries()) {
    for (const e of stepEvents(s, i)) if (e.kind === 'W' && e.loc !== undefined && e.value !== undefined) {
      const set = out.get(e.loc) ?? new Set<number>();
      set.add(e.value);
      out.set(e.loc, set);
    }
  }
  return out;
}

/** The per-thread traces over the fixpoint of the value domains. A value that needs a chain of
 *  k writes (each computed from a value the previous one wrote) is in the domain after k rounds,
 *  and an execution has at most `writes` writes, so the search stops there even when the domains
 *  would grow forever (atomic_inc on a value nothing bounds: values past `writes` increments are
 *  read by no execution). */
export function allThreadTraces(program: MmProgram): ThreadTrace[][] {
  const domain = new Map<number, Set<number>>();
  const initOf = (loc: number): number => program.init.get(loc) ?? 0;
  const dom = (loc: number): Set<number> => {
    let d = domain.get(loc);
    if (!d) domain.set(loc, (d = new Set([initOf(loc)])));
    return d;
  };
  for (let round = 0; ; round++) {
    const traces = program.threads.map((t) => threadTraces(t, dom));
    const writes = traces.reduce((sum, ts) => sum + Math.max(0, ...ts.map(writeCount)), 0);
    if (round > writes) return traces;
    if (round >= MAX_ROUNDS) throw new Error(`more than ${MAX_ROUNDS} writes in one execution: too large to enumerate`);
    let grew = false;
    for (const [loc, values] of writtenValues(traces)) for (const v of values) {
      if (!dom(loc).has(v)) { dom(loc).add(v); grew = true; }
    }
    if (!grew) return traces;
  }
}

function writeCount(t: ThreadTrace): number {
  return t.steps.reduce((n, s, i) => n + stepEvents(s, i).filter((e) => e.kind === 'W').length, 0);
}

/** Events of one choice of traces: initial writes first, then each thread in program order. */
export function buildEvents(program: MmProgram, traces: ThreadTrace[]): { events: MemEvent[]; rmw: [number, number][] } {
  const locs = new Set<number>(program.init.keys());
  for (const t of traces) for (const s of t.steps) { const l = opLoc(s.op); if (l !== undefined) locs.add(l); }
  const events: MemEvent[] = [];
  const rmw: [number, number][] = [];
  for (const loc of [...locs].sort((a, b) => a - b)) {
    events.push({ id: events.length, thread: -1, index: -1, kind: 'W', tag: 'IW', loc, value: program.init.get(loc) ?? 0, op: -1, addr: [], data: [], ctrl: [] });
  }
  traces.forEach((t, thread) => {
    const readOfOp = new Map<number, number>();
    let index = 0;
    t.steps.forEach((s, opIndex) => {
      const deps = (ixs: readonly number[]): number[] => ixs.map((i) => readOfOp.get(i)).filter((x): x is number => x !== undefined);
      for (const d of stepEvents(s, opIndex)) {
        const id = events.length;
        const { rmwWithPrevious, ...draft }: EventDraft = d;
        events.push({ ...draft, id, thread, index: index++, addr: deps(s.op.deps.addr), data: deps(s.op.deps.data), ctrl: deps(s.op.deps.ctrl) });
        if (rmwWithPrevious) rmw.push([id - 1, id]);
        if (d.kind === 'R' && !readOfOp.has(opIndex)) readOfOp.set(opIndex, id);
      }
    });
  });
  return { events, rmw };
}

function* product<T>(lists: T[][]): Generator<T[]> {
  if (lists.length === 0) { yield []; return; }
  const [first, ...rest] = lists;
  for (const x of first) for (const tail of product(rest)) yield [x, ...tail];
}

function* permutations<T>(xs: T[]): Generator<T[]> {
  if (xs.length <= 1) { yield xs; return; }
  for (let i = 0; i < xs.length; i++) {
    for (const p of permutations([...xs.slice(0, i), ...xs.slice(i + 1)])) yield [xs[i], ...p];
  }
}

/**
 * The coherence orders of one location given rf: the initial write first, and each RMW's write
 * right after the write its read reads from (the `atomic` axiom with coherence leaves no other
 * choice, so this prunes nothing consistent). The remaining chains are permuted.
 */
function coOrders(ws: MemEvent[], rf: Map<number, number>, rmwReadOf: Map<number, number>, prune: boolean): number[][] {
  if (!prune) {
    const init = ws.filter((w) => w.tag === 'IW').map((w) => w.id);
    return [...permutations(ws.filter((w) => w.tag !== 'IW').map((w) => w.id))].map((p) => [...init, ...p]);
  }
  const next = new Map<number, number>();
  for (const w of ws) {
    const r = rmwReadOf.get(w.id);
    const src = r === undefined ? undefined : rf.get(r);
    if (src === undefined) continue;
    if (next.has(src)) return []; // two RMWs read from one write: not atomic
    next.set(src, w.id);
  }
  const chained = new Set(next.values());
  const chain = (head: number): number[] => {
    const out = [head];
    for (let n = next.get(head); n !== undefined && out.length <= ws.length; n = next.get(n)) out.push(n);
    return out;
  };
  const init = ws.find((w) => w.tag === 'IW') as MemEvent;
  const rest = ws.filter((w) => w !== init && !chained.has(w.id)).map((w) => chain(w.id));
  const orders: number[][] = [];
  for (const p of permutations(rest)) {
    const order = [...chain(init.id), ...p.flat()];
    if (order.length === ws.length) orders.push(order); // else an RMW chain reads from itself
  }
  return orders;
}

/** Every (rf, co) over one set of events: rf by location and value, co as coOrders gives it. */
function* candidates(events: MemEvent[], rmw: [number, number][], threads: number, prune: boolean): Generator<Execution> {
  const reads = events.filter((e) => e.kind === 'R');
  const writes = events.filter((e) => e.kind === 'W');
  const samePoLater = (r: MemEvent, w: MemEvent): boolean => prune && r.thread === w.thread && w.index > r.index;
  const sources = reads.map((r) => writes.filter((w) => w.loc === r.loc && w.value === r.value && !samePoLater(r, w)).map((w) => w.id));
  if (sources.some((s) => s.length === 0)) return;
  const locs = [...new Set(writes.map((w) => w.loc as number))];
  const byLoc = locs.map((loc) => writes.filter((w) => w.loc === loc));
  const rmwReadOf = new Map(rmw.map(([r, w]) => [w, r] as const));
  for (const rfChoice of product(sources)) {
    const rf = new Map(reads.map((r, i) => [r.id, rfChoice[i]] as const));
    const orders = byLoc.map((ws) => coOrders(ws, rf, rmwReadOf, prune));
    for (const coChoice of product(orders)) {
      yield { events, threads, rf, co: new Map(locs.map((l, i) => [l, coChoice[i]] as const)), rmw: new Map(rmw) };
    }
  }
}

function outcomeOf(x: Execution, traces: ThreadTrace[], model: ConsistencyModel): Outcome {
  const memory = new Map<number, number>();
  for (const [loc, ws] of x.co) memory.set(loc, x.events[ws[ws.length - 1]].value as number);
  return { registers: traces.map((t) => t.registers), memory, flags: model.flags?.(x) ?? [] };
}

/** Every consistent execution of the program under the model (LKMM by default). */
export function enumerate(program: MmProgram, opts: EnumerateOptions = {}): EngineResult {
  const model = opts.model ?? lkmm;
  const budget = opts.budget ?? 5_000_000;
  const result: EngineResult = { outcomes: [], executions: 0, rejected: {}, complete: true };
  let checked = 0;
  for (const traces of product(allThreadTraces(program))) {
    const { events, rmw } = buildEvents(program, traces);
    for (const x of candidates(events, rmw, traces.length, opts.prune ?? true)) {
      if (++checked > budget) { result.complete = false; return result; }
      const failed = model.failedAxiom ? model.failedAxiom(x) : model.consistent(x) ? undefined : 'inconsistent';
      if (failed) { result.rejected[failed] = (result.rejected[failed] ?? 0) + 1; continue; }
      result.executions++;
      result.outcomes.push(outcomeOf(x, traces, model));
    }
  }
  return result;
}
