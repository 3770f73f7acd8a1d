/**
 * Execution-graph exploration: every consistent execution graph of a program, each once, with no
 * set of visited graphs (the search keeps its current path: the graph, plus one copy per backward
 * revisit on the path). This is TruSt (Kokologiannakis,
 * Marmanis, Gladstein, Vafeiadis, "Truly Stateless, Optimal Dynamic Partial Order Reduction",
 * POPL 2022) over GenMC's graphs (Kokologiannakis et al., PLDI 2019).
 *
 * The graph grows one event at a time: the next event of the leftmost thread that has one (an
 * RMW's write right after its read). A read is added once per write it may read from
 * (forward revisits). A write is placed at each point of its location's coherence order, and
 * may also be read by a read already in the graph (backward revisit): the graph is cut back to
 * the events added before that read plus the write's po ∪ rf prefix, and the read now reads the
 * write. A backward revisit is taken only when the events it deletes (and the read itself) were
 * added maximally (TruSt's IsMaximallyAdded): each read reads, and each write is, the
 * coherence-latest write among the events added before it or in the revisiting write's prefix,
 * and no deleted write had itself been read by a read added before it. That makes the graph
 * before a revisit a function of the graph after it, so no graph is reached twice.
 *
 * Every graph built is checked against the model (`ConsistencyModel.consistent`), which must
 * therefore be prefix-closed. Graphs whose po ∪ rf is cyclic (load buffering) are never built:
 * a read can only read a write already in the graph or one added after it outside its prefix.
 *
 * Locks: spin_lock's read (LKR) that sees the lock held leaves its thread waiting; the read stays
 * in the graph (a later unlock may revisit it) but is no event of the execution the model sees.
 * A waiting read that does not see the coherence-latest write is dropped at once: it can never
 * be revisited (it was not added maximally). A complete graph where a thread still waits is not
 * an execution: it is a deadlock when every waiting read sees the latest write (the lock stays
 * held), and a stale wait otherwise (the thread would have seen the release); both are counted.
 *
 * Atomicity: an RMW's write is placed right after the write its read reads, no other write is
 * placed between them, and two successful RMWs never read the same write (GenMC's rule: when an
 * RMW's write finds another RMW reading the same write, the graph is only revisited, from reads
 * no later than that RMW, so that the revisit removes the conflict).
 */
import { opLoc, stepEvents } from './events.js';
import type { Execution, MemEvent } from './execution.js';
import type { ConsistencyModel } from './model.js';
import type { EngineResult, MmOp, MmProgram, Outcome, Registers } from './ops.js';

export interface GraphExploreOptions {
  /** Stop after this many complete graphs (executions and deadlocks). */
  budget?: number;
  /** Called with each consistent complete execution and its outcome (counterexamples, tests). */
  onExecution?: (x: Execution, outcome: Outcome) => void;
}

export interface GraphExploreResult extends EngineResult {
  /** Complete graphs where a thread waits forever on a lock (not executions). */
  deadlocks: number;
  /** Graphs built (each checked once against the model). */
  graphs: number;
}

/** One memory access or barrier. Immutable: shared by a graph and the graphs its revisits make. */
interface Node {
  /** -1 for an initial write. */
  readonly thread: number;
  /** Position among its thread's nodes. */
  readonly index: number;
  /** When it was added (TruSt's ≤_G, GenMC's stamp); -1 for initial writes. */
  readonly stamp: number;
  readonly kind: 'R' | 'W' | 'F';
  /** Yield index of its op. */
  readonly op: number;
  readonly mop: MmOp | undefined;
  /** -1 for a barrier without a location. */
  readonly loc: number;
  /** A write's value, or the value a read reads. */
  readonly value: number;
  /** The write a read reads from. */
  readonly rf: Node | undefined;
  /** An RMW's write: its read. */
  readonly rmwRead: Node | undefined;
}

/** Per thread its nodes in po order; per location the writes in coherence order (initial first). */
interface Graph {
  threads: Node[][];
  co: Map<number, Node[]>;
}

/** A thread's next event, before it is added. */
interface Next {
  thread: number;
  kind: 'R' | 'W' | 'F';
  op: number;
  mop: MmOp;
  loc: number;
  value: number;
  rmwRead: Node | undefined;
}

interface Cursor {
  gen: Generator<MmOp, Registers, number>;
  fed: number[];
  res: IteratorResult<MmOp, Registers>;
}

export function exploreGraphs(program: MmProgram, model: ConsistencyModel, opts: GraphExploreOptions = {}): GraphExploreResult {
  return new Explorer(program, model, opts).run();
}

class Explorer {
  private stamp = 0;
  private readonly inits = new Map<number, Node>();
  private readonly cursors: (Cursor | undefined)[];
  private readonly outcomes: Outcome[] = [];
  private readonly rejected: Record<string, number> = {};
  private executions = 0;
  private deadlocks = 0;
  private graphs = 0;
  private complete = true;

  constructor(private readonly program: MmProgram, private readonly model: ConsistencyModel, private readonly opts: GraphExploreOptions) {
    this.cursors = program.threads.map(() => undefined);
  }

  run(): GraphExploreResult {
    this.visit({ threads: this.program.threads.map(() => []), co: new Map() });
    return {
      outcomes: this.outcomes, executions: this.executions, rejected: this.rejected,
      deadlocks: this.deadlocks, graphs: this.graphs, complete: this.complete,
    };
  }

  private visit(g: Graph): void {
    if (!this.complete) return;
    this.graphs++;
    const x = toExecution(g, this.program.init);
    if (!this.model.consistent(x)) {
      this.reject(this.model.failedAxiom?.(x) ?? this.model.name);
      return;
    }
    const next = this.next(g);
    if (Array.isArray(next)) return this.finish(g, x, next);
    if (next.kind === 'R') return this.visitRead(g, next);
    if (next.kind === 'W') return this.visitWrite(g, next);
    const f = this.node(g, next, undefined);
    g.threads[next.thread].push(f);
    this.visit(g);
    g.threads[next.thread].pop();
  }

  /** Forward revisits: the read reads each write of its location, the coherence-latest first. */
  private visitRead(g: Graph, next: Next): void {
    const co = this.coOf(g, next.loc);
    const latest = co[co.length - 1];
    for (let i = co.length - 1; i >= 0; i--) {
      const w = co[i];
      if (waits(next.mop, w.value) && w !== latest) continue;
      g.threads[next.thread].push(this.node(g, next, w));
      this.visit(g);
      g.threads[next.thread].pop();
    }
  }

  /** Every coherence placing of the write, then every backward revisit it may make. */
  private visitWrite(g: Graph, next: Next): void {
    const a = this.node(g, next, undefined);
    g.threads[next.thread].push(a);
    const conflict = rmwConflict(g, a);
    const revisits = this.revisitable(g, a, conflict);
    if (!conflict) this.placeAndVisit(g, a);
    for (const r of revisits) this.placeAndVisit(revisit(g, r, a, porf(g, a)), a);
    g.threads[next.thread].pop();
  }

  private placeAndVisit(g: Graph, a: Node): void {
    const co = this.coOf(g, a.loc);
    for (const i of placings(co, a)) {
      co.splice(i, 0, a);
      this.visit(g);
      co.splice(i, 1);
    }
  }

  /**
   * The reads `a` may revisit: same location, outside a's po ∪ rf prefix, and such that the
   * events the revisit deletes were added maximally. Latest-added first, as GenMC orders them.
   */
  private revisitable(g: Graph, a: Node, conflict: Node | undefined): Node[] {
    const view = porf(g, a);
    const inPorf = (e: Node) => e.thread < 0 || e.index <= view[e.thread];
    if (conflict && inPorf(conflict)) return [];
    const reads: Node[] = [];
    for (const nodes of g.threads) {
      for (const n of nodes) {
        if (n.kind !== 'R' || n.loc !== a.loc || inPorf(n)) continue;
        if (conflict && n.stamp > conflict.stamp) continue;
        reads.push(n);
      }
    }
    reads.sort((p, q) => q.stamp - p.stamp);
    return reads.filter((r) => this.maximalRevisit(g, r, inPorf));
  }

  /** TruSt's condition: r and every event added after r outside a's prefix were added maximally. */
  private maximalRevisit(g: Graph, r: Node, inPorf: (e: Node) => boolean): boolean {
    if (!this.addedMaximally(g, r, inPorf)) return false;
    for (const nodes of g.threads) {
      for (const e of nodes) {
        if (e.stamp > r.stamp && !inPorf(e) && !this.addedMaximally(g, e, inPorf)) return false;
      }
    }
    return true;
  }

  /**
   * TruSt's IsMaximallyAdded: among the events added no later than e or in the revisiting write's
   * prefix (Previous), e reads (is) the coherence-latest write, and no read in Previous reads e.
   * The revisiting write is in no coherence order yet, so it never counts as a later write.
   */
  private addedMaximally(g: Graph, e: Node, inPorf: (e: Node) => boolean): boolean {
    if (e.kind === 'F') return true;
    const previous = (n: Node) => n.thread < 0 || n.stamp <= e.stamp || inPorf(n);
    if (e.kind === 'W') {
      for (const nodes of g.threads) {
        for (const n of nodes) if (n.rf === e && previous(n)) return false;
      }
    }
    const w = e.kind === 'R' ? e.rf! : e;
    if (!previous(w)) return false;
    const co = this.coOf(g, e.loc);
    for (let j = co.indexOf(w) + 1; j < co.length; j++) if (previous(co[j])) return false;
    return true;
  }

  /** The next event: an RMW's pending write first, else the leftmost thread that has one. When
   *  no thread has one, the waiting reads (deadlocked threads), possibly none. */
  private next(g: Graph): Next | Node[] {
    for (let t = 0; t < g.threads.length; t++) {
      const pending = pendingWrite(g.threads[t]);
      if (pending) return { ...pending, thread: t };
    }
    const waiting: Node[] = [];
    for (let t = 0; t < g.threads.length; t++) {
      const nodes = g.threads[t];
      const last = nodes[nodes.length - 1];
      if (last?.kind === 'R' && waits(last.mop!, last.value)) {
        waiting.push(last);
        continue;
      }
      const res = this.replay(t, results(nodes));
      if (res.done) continue;
      const mop = res.value;
      const op = nodes.length === 0 ? 0 : nodes[nodes.length - 1].op + 1;
      const kind = readsFirst(mop) ? 'R' : mop.op === 'fence' || mop.op === 'sync-srcu' ? 'F' : 'W';
      const loc = opLoc(mop) ?? -1;
      const value = kind === 'W' ? written(mop, 0)! : 0;
      return { thread: t, kind, op, mop, loc, value, rmwRead: undefined };
    }
    return waiting;
  }

  /** Run thread t from its start (or from where it last stopped, if the values agree) on the
   *  given op results; returns its next op or its registers. */
  private replay(t: number, values: number[]): IteratorResult<MmOp, Registers> {
    let c = this.cursors[t];
    if (!c || c.fed.length > values.length || c.fed.some((v, i) => v !== values[i])) {
      const gen = this.program.threads[t]();
      c = { gen, fed: [], res: gen.next(0) };
      this.cursors[t] = c;
    }
    while (c.fed.length < values.length) {
      if (c.res.done) throw new Error(`thread ${t} ended before op ${c.fed.length}: a thread must be a pure function of the values it reads`);
      const v = values[c.fed.length];
      c.fed.push(v);
      c.res = c.gen.next(v);
    }
    return c.res;
  }

  private finish(g: Graph, x: Execution, waiting: Node[]): void {
    if (waiting.length > 0) {
      const held = waiting.every((r) => { const co = this.coOf(g, r.loc); return r.rf === co[co.length - 1]; });
      this.reject(held ? 'deadlock' : 'stale-wait');
      if (held) this.deadlocks++;
    } else {
      this.executions++;
      const outcome = this.outcome(g, x);
      this.outcomes.push(outcome);
      this.opts.onExecution?.(x, outcome);
    }
    if (this.executions + this.deadlocks >= (this.opts.budget ?? Infinity)) this.complete = false;
  }

  private outcome(g: Graph, x: Execution): Outcome {
    const registers = g.threads.map((nodes, t) => {
      const res = this.replay(t, results(nodes));
      if (!res.done) throw new Error(`thread ${t} has not finished`);
      return res.value;
    });
    const memory = new Map<number, number>();
    for (const [loc, ids] of [...x.co].sort((p, q) => p[0] - q[0])) memory.set(loc, x.events[ids[ids.length - 1]].value!);
    return { registers, memory, flags: this.model.flags?.(x) ?? [] };
  }

  private reject(why: string): void {
    this.rejected[why] = (this.rejected[why] ?? 0) + 1;
  }

  private node(g: Graph, next: Next, rf: Node | undefined): Node {
    return {
      thread: next.thread, index: g.threads[next.thread].length, stamp: this.stamp++, kind: next.kind,
      op: next.op, mop: next.mop, loc: next.loc, value: rf ? rf.value : next.value, rf, rmwRead: next.rmwRead,
    };
  }

  /** The location's coherence order, starting with its initial write. */
  private coOf(g: Graph, loc: number): Node[] {
    let co = g.co.get(loc);
    if (!co) {
      co = [this.init(loc)];
      g.co.set(loc, co);
    }
    return co;
  }

  private init(loc: number): Node {
    let w = this.inits.get(loc);
    if (!w) {
      w = { thread: -1, index: loc, stamp: -1, kind: 'W', op: -1, mop: undefined, loc, value: this.program.init.get(loc) ?? 0, rf: undefined, rmwRead: undefined };
      this.inits.set(loc, w);
    }
    return w;
  }
}

/** Ops that begin with a read: the explorer picks the write it reads from. */
function readsFirst(op: MmOp): boolean {
  switch (op.op) {
    case 'load': case 'rmw': case 'lock': case 'trylock': case 'islocked': case 'srcu-lock': return true;
    default: return false;
  }
}

/** A spin_lock whose read saw the lock held: its thread waits. */
function waits(op: MmOp, seen: number): boolean {
  return op.op === 'lock' && seen !== 0;
}

/** What the thread is sent back when the op's read saw `seen` (trylock and islocked say 1/0). */
function result(op: MmOp, seen: number): number {
  switch (op.op) {
    case 'trylock': return seen === 0 ? 1 : 0;
    case 'islocked': return seen === 0 ? 0 : 1;
    case 'lock': return 0;
    default: return seen;
  }
}

/** The value the op writes once its read (if any) saw `seen`; undefined when it writes nothing. */
function written(op: MmOp, seen: number): number | undefined {
  if (waits(op, seen)) return undefined;
  return stepEvents({ op, result: result(op, seen) }, 0).find((e) => e.kind === 'W')?.value;
}

/** Per op of the thread (in yield order), the value the thread received for it. */
function results(nodes: readonly Node[]): number[] {
  const out: number[] = [];
  for (const n of nodes) if (n.op === out.length) out.push(n.kind === 'R' ? result(n.mop!, n.value) : 0);
  return out;
}

/** The write part of an RMW (or lock) whose read is the thread's last node, when it writes. */
function pendingWrite(nodes: readonly Node[]): Omit<Next, 'thread'> | undefined {
  const last = nodes[nodes.length - 1];
  if (last?.kind !== 'R') return undefined;
  const write = written(last.mop!, last.value);
  if (write === undefined) return undefined;
  return { kind: 'W', op: last.op, mop: last.mop!, loc: last.loc, value: write, rmwRead: last };
}

/** Another successful RMW that reads the write a's RMW read reads (an atomicity conflict). */
function rmwConflict(g: Graph, a: Node): Node | undefined {
  const ra = a.rmwRead;
  if (!ra) return undefined;
  for (const nodes of g.threads) {
    for (const n of nodes) {
      if (n !== ra && n.kind === 'R' && n.rf === ra.rf && written(n.mop!, n.value) !== undefined) return n;
    }
  }
  return undefined;
}

/** Where write a may go in co (insertion indices): right after its read's write for an RMW,
 *  else anywhere after the initial write except inside an RMW's read-write pair. */
function placings(co: readonly Node[], a: Node): number[] {
  if (a.rmwRead) return [co.indexOf(a.rmwRead.rf!) + 1];
  const out: number[] = [];
  for (let i = 1; i <= co.length; i++) {
    const succ = co[i];
    if (succ?.rmwRead && succ.rmwRead.rf === co[i - 1]) continue;
    out.push(i);
  }
  return out;
}

/** a's po ∪ rf prefix as a view: per thread the last index in it (-1: none). */
function porf(g: Graph, a: Node): Int32Array {
  const view = new Int32Array(g.threads.length).fill(-1);
  const stack = [a];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (e.thread < 0 || view[e.thread] >= e.index) continue;
    const nodes = g.threads[e.thread];
    for (let i = view[e.thread] + 1; i <= e.index; i++) {
      const rf = nodes[i].rf;
      if (rf && rf.thread >= 0) stack.push(rf);
    }
    view[e.thread] = e.index;
  }
  return view;
}

/** The graph after a revisits r: the events added no later than r plus a's prefix; r reads a.
 *  a is in no coherence order yet. */
function revisit(g: Graph, r: Node, a: Node, view: Int32Array): Graph {
  const threads = g.threads.map((nodes, t) => {
    let k = 0;
    while (k < nodes.length && (nodes[k].stamp <= r.stamp || k <= view[t])) k++;
    return nodes.slice(0, k);
  });
  threads[r.thread][r.index] = { ...r, rf: a, value: a.value };
  const kept = (w: Node) => w.thread < 0 || w.index < threads[w.thread].length;
  const co = new Map<number, Node[]>();
  for (const [loc, ws] of g.co) co.set(loc, ws.filter(kept));
  return { threads, co };
}

/**
 * The execution the model sees, built as enumerate.ts's buildEvents builds one (events.ts turns
 * each op into events; initial writes first, by location; deps on ops that read nothing are
 * dropped), from the ops in the graph: a waiting lock read is left out, and an RMW whose write is
 * not in the graph yet stops after its read.
 */
function toExecution(g: Graph, init: ReadonlyMap<number, number>): Execution {
  const locs = new Set<number>(init.keys());
  for (const nodes of g.threads) for (const n of nodes) if (n.loc >= 0 && !waits(n.mop!, n.value)) locs.add(n.loc);
  const sorted = [...locs].sort((p, q) => p - q);
  const events: MemEvent[] = [];
  const initId = new Map<number, number>();
  for (const loc of sorted) {
    initId.set(loc, events.length);
    events.push({ id: events.length, thread: -1, index: -1, kind: 'W', tag: 'IW', loc, value: init.get(loc) ?? 0, op: -1, addr: [], data: [], ctrl: [] });
  }
  const ids = new Map<Node, number>();
  const rmw = new Map<number, number>();
  g.threads.forEach((nodes, thread) => {
    const readOfOp = new Map<number, number>();
    const deps = (ops: readonly number[]) => ops.map((k) => readOfOp.get(k)).filter((id): id is number => id !== undefined);
    let index = 0;
    for (let i = 0; i < nodes.length;) {
      const first = nodes[i];
      let end = i + 1;
      while (end < nodes.length && nodes[end].op === first.op) end++;
      const parts = nodes.slice(i, end);
      i = end;
      const mop = first.mop!;
      if (first.kind === 'R' && waits(mop, first.value)) continue;
      const drafts = stepEvents({ op: mop, result: first.kind === 'R' ? result(mop, first.value) : 0 }, first.op);
      for (const { rmwWithPrevious, ...d } of drafts) {
        const n = d.kind === 'F' ? first : parts.find((m) => m.kind === d.kind);
        if (!n) break;
        const id = events.length;
        events.push({ ...d, value: d.kind === 'F' ? d.value : n.value, id, thread, index: index++, addr: deps(mop.deps.addr), data: deps(mop.deps.data), ctrl: deps(mop.deps.ctrl) });
        if (d.kind !== 'F') ids.set(n, id);
        if (rmwWithPrevious) rmw.set(id - 1, id);
        if (d.kind === 'R' && !readOfOp.has(first.op)) readOfOp.set(first.op, id);
      }
    }
  });
  const rf = new Map<number, number>();
  for (const [n, id] of ids) if (n.kind === 'R') rf.set(id, n.rf!.thread < 0 ? initId.get(n.loc)! : ids.get(n.rf!)!);
  const co = new Map<number, number[]>();
  for (const loc of sorted) {
    const ws = g.co.get(loc);
    co.set(loc, ws ? ws.map((w) => (w.thread < 0 ? initId.get(loc)! : ids.get(w)!)) : [initId.get(loc)!]);
  }
  return { events, threads: g.threads.length, rf, co, rmw };
}
