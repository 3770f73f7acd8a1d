/**
 * Test-only references for the memory-model engines: two small models (SC and coherence, both
 * with atomicity), a tiny thread language that yields MmOps, and a brute-force enumerator
 * (every per-thread trace × rf × co, filtered by a model).
 */
import assert from 'node:assert/strict';
import type { Execution, MemEvent } from '../src/memory-model/execution.js';
import { exploreGraphs, type GraphExploreResult } from '../src/memory-model/graph-explore.js';
import type { ConsistencyModel } from '../src/memory-model/model.js';
import { allThreadTraces, buildEvents } from '../src/memory-model/enumerate.js';
import { type FenceTag, type LoadTag, type MmOp, type StoreTag, type MmProgram, NO_DEPS, type OpDeps, type Registers, type RmwTag, type ThreadProgram } from '../src/memory-model/ops.js';

// ---------------------------------------------------------------- relations and test models

type Edges = [number, number][];

function po(x: Execution): Edges {
  const out: Edges = [];
  const byThread = new Map<number, MemEvent[]>();
  for (const e of x.events) if (e.thread >= 0) byThread.set(e.thread, [...(byThread.get(e.thread) ?? []), e]);
  for (const es of byThread.values()) for (let i = 0; i < es.length; i++) for (let j = i + 1; j < es.length; j++) out.push([es[i].id, es[j].id]);
  return out;
}

function rfEdges(x: Execution): Edges {
  return [...x.rf].map(([r, w]) => [w, r]);
}

function coEdges(x: Execution): Edges {
  const out: Edges = [];
  for (const ws of x.co.values()) for (let i = 0; i < ws.length; i++) for (let j = i + 1; j < ws.length; j++) out.push([ws[i], ws[j]]);
  return out;
}

function frEdges(x: Execution): Edges {
  const out: Edges = [];
  for (const [r, w] of x.rf) {
    const ws = x.co.get(x.events[r].loc!)!;
    for (const later of ws.slice(ws.indexOf(w) + 1)) out.push([r, later]);
  }
  return out;
}

function acyclic(n: number, edges: Edges): boolean {
  const succ: number[][] = Array.from({ length: n }, () => []);
  for (const [a, b] of edges) succ[a].push(b);
  const state = new Uint8Array(n);
  const visit = (v: number): boolean => {
    state[v] = 1;
    for (const w of succ[v]) if (state[w] === 1 || (state[w] === 0 && !visit(w))) return false;
    state[v] = 2;
    return true;
  };
  for (let v = 0; v < n; v++) if (state[v] === 0 && !visit(v)) return false;
  return true;
}

/** No write comes between an RMW's read's write and its write in co (rmw ∩ (fre; coe) = ∅). */
function atomic(x: Execution): boolean {
  for (const [r, w] of x.rmw) {
    const ws = x.co.get(x.events[r].loc!)!;
    if (ws.indexOf(w) !== ws.indexOf(x.rf.get(r)!) + 1) return false;
  }
  return true;
}

const sameLoc = (x: Execution) => ([a, b]: [number, number]) => x.events[a].loc !== undefined && x.events[a].loc === x.events[b].loc;

export const sc: ConsistencyModel = {
  name: 'sc',
  consistent: (x) => atomic(x) && acyclic(x.events.length, [...po(x), ...rfEdges(x), ...coEdges(x), ...frEdges(x)]),
  failedAxiom: (x) => (atomic(x) ? 'sc' : 'atomic'),
};

export const coherence: ConsistencyModel = {
  name: 'coherence',
  consistent: (x) => atomic(x) && acyclic(x.events.length, [...po(x).filter(sameLoc(x)), ...rfEdges(x), ...coEdges(x), ...frEdges(x)]),
  failedAxiom: (x) => (atomic(x) ? 'coherence' : 'atomic'),
};

export function porfAcyclic(x: Execution): boolean {
  return acyclic(x.events.length, [...po(x), ...rfEdges(x)]);
}

// ---------------------------------------------------------------- a tiny thread language

export type Ins =
  | { k: 'ld'; x: number; r: string; tag?: LoadTag }
  | { k: 'st'; x: number; v: number; tag?: StoreTag }
  /** Store register r's value (a data dependency). */
  | { k: 'stv'; x: number; r: string }
  /** xchg: writes v, returns the old value. */
  | { k: 'xchg'; x: number; v: number; r: string; tag: RmwTag }
  /** fetch-add of 1, modulo 4 (values stay in 0..3). */
  | { k: 'add'; x: number; r: string; tag: RmwTag }
  /** cmpxchg(x, e, n). */
  | { k: 'cas'; x: number; e: number; n: number; r: string }
  | { k: 'fence'; tag: FenceTag }
  | { k: 'lock'; l: number }
  | { k: 'unlock'; l: number }
  | { k: 'trylock'; l: number; r: string }
  /** Run `then` only when register r holds v (a ctrl dependency). */
  | { k: 'if'; r: string; v: number; then: Ins[] };

function thread(code: Ins[]): ThreadProgram {
  return function* () {
    const regs: Registers = {};
    const opOf = new Map<string, number>();
    let n = 0;
    function* run(body: Ins[], ctrl: number[]): Generator<MmOp, void, number> {
      const deps: OpDeps = { ...NO_DEPS, ctrl };
      const set = (r: string, v: number) => { regs[r] = v; opOf.set(r, n - 1); };
      for (const i of body) {
        switch (i.k) {
          case 'ld': n++; set(i.r, yield { op: 'load', loc: i.x, tag: i.tag ?? 'once', deps }); break;
          case 'st': n++; yield { op: 'store', loc: i.x, value: i.v, tag: i.tag ?? 'once', deps }; break;
          case 'stv': {
            const dep = opOf.get(i.r);
            n++;
            yield { op: 'store', loc: i.x, value: regs[i.r] ?? 0, tag: 'once', deps: { ...deps, data: dep === undefined ? [] : [dep] } };
            break;
          }
          case 'xchg': n++; set(i.r, yield { op: 'rmw', loc: i.x, tag: i.tag, update: () => i.v, deps }); break;
          case 'add': n++; set(i.r, yield { op: 'rmw', loc: i.x, tag: i.tag, update: (o) => (o + 1) % 4, deps }); break;
          case 'cas': n++; set(i.r, yield { op: 'rmw', loc: i.x, tag: 'mb', update: (o) => (o === i.e ? i.n : undefined), deps }); break;
          case 'fence': n++; yield { op: 'fence', tag: i.tag, deps }; break;
          case 'lock': n++; yield { op: 'lock', loc: i.l, deps }; break;
          case 'unlock': n++; yield { op: 'unlock', loc: i.l, deps }; break;
          case 'trylock': n++; set(i.r, yield { op: 'trylock', loc: i.l, deps }); break;
          case 'if': {
            const dep = opOf.get(i.r);
            if ((regs[i.r] ?? 0) === i.v) yield* run(i.then, dep === undefined ? ctrl : [...ctrl, dep]);
            break;
          }
        }
      }
    }
    yield* run(code, []);
    return regs;
  };
}

export function program(threads: Ins[][], init: [number, number][] = []): MmProgram {
  return { threads: threads.map(thread), init: new Map(init) };
}

// ---------------------------------------------------------------- brute force

function* product<T>(choices: T[][]): Generator<T[]> {
  if (choices.length === 0) { yield []; return; }
  const [first, ...rest] = choices;
  for (const c of first) for (const tail of product(rest)) yield [c, ...tail];
}

/** Every interleaving of the sequences (the co orders that keep each thread's writes in po order,
 *  as coherence's CoWW demands). */
function interleavings<T>(seqs: T[][]): T[][] {
  const live = seqs.filter((q) => q.length > 0);
  if (live.length === 0) return [[]];
  return live.flatMap((q, i) => interleavings(live.map((r, j) => (j === i ? r.slice(1) : r))).map((rest) => [q[0], ...rest]));
}

export interface Found { key: string; outcome: string }

/**
 * Every per-thread trace × rf × co, kept when porf-acyclic (unless `cyclic`) and consistent.
 * Both test models imply coherence and atomicity, so each location's (rf, co) choices are
 * filtered by those first, and co orders that reverse two writes of one thread (CoWW) are not
 * generated (the product of the survivors is the same filter, only faster).
 */
export function bruteForce(p: MmProgram, model: ConsistencyModel, cyclic = false): Found[] {
  const found: Found[] = [];
  for (const traces of product(allThreadTraces(p))) {
    const { events, rmw } = buildEvents(p, traces);
    const locs = [...new Set(events.filter((e) => e.kind !== 'F' && e.loc !== undefined).map((e) => e.loc!))];
    const base: Execution = { events, threads: traces.length, rf: new Map(), co: new Map(), rmw: new Map(rmw) };
    for (const choices of product(locs.map((loc) => locChoices(base, loc)))) {
      const x: Execution = { ...base, rf: new Map(choices.flatMap((c) => [...c.rf])), co: new Map(choices.flatMap((c) => [...c.co])) };
      if ((!cyclic && !porfAcyclic(x)) || !model.consistent(x)) continue;
      found.push({ key: graphKey(x), outcome: outcomeKey(traces.map((t) => t.registers), x) });
    }
  }
  return found;
}

/** The (rf, co) choices at one location that are coherent and atomic there. */
function locChoices(base: Execution, loc: number): Pick<Execution, 'rf' | 'co'>[] {
  const at = base.events.filter((e) => e.loc === loc && e.kind !== 'F');
  const reads = at.filter((e) => e.kind === 'R');
  const byThread = new Map<number, number[]>();
  for (const w of at) if (w.kind === 'W' && w.tag !== 'IW') byThread.set(w.thread, [...(byThread.get(w.thread) ?? []), w.id]);
  const orders = interleavings([...byThread.values()]);
  const rfChoices = reads.map((r) => at.filter((w) => w.kind === 'W' && w.value === r.value && !(w.thread === r.thread && w.op === r.op)).map((w) => w.id));
  const init = at.find((e) => e.tag === 'IW')!.id;
  const rmw = new Map([...base.rmw].filter(([r]) => base.events[r].loc === loc));
  const poLoc = po(base).filter(([a, b]) => base.events[a].loc === loc && base.events[b].loc === loc && base.events[a].kind !== 'F' && base.events[b].kind !== 'F');
  const out: Pick<Execution, 'rf' | 'co'>[] = [];
  for (const rfs of product(rfChoices)) {
    for (const order of orders) {
      const x: Execution = { ...base, rmw, rf: new Map(reads.map((r, i) => [r.id, rfs[i]])), co: new Map([[loc, [init, ...order]]]) };
      if (atomic(x) && acyclic(base.events.length, [...poLoc, ...rfEdges(x), ...coEdges(x), ...frEdges(x)])) out.push({ rf: x.rf, co: x.co });
    }
  }
  return out;
}

export function graphKey(x: Execution): string {
  const evs = x.events.map((e) => [e.thread, e.index, e.kind, e.tag, e.loc, e.value, e.op, e.addr, e.data, e.ctrl]);
  return JSON.stringify([evs, [...x.rf].sort((a, b) => a[0] - b[0]), [...x.co].sort((a, b) => a[0] - b[0]), [...x.rmw].sort((a, b) => a[0] - b[0])]);
}

export function outcomeKey(regs: Registers[], x: Execution): string {
  const mem = [...x.co].sort((a, b) => a[0] - b[0]).map(([loc, ws]) => [loc, x.events[ws[ws.length - 1]].value]);
  return JSON.stringify([regs.map((r) => Object.entries(r).sort()), mem]);
}

export function explored(p: MmProgram, model: ConsistencyModel): { found: Found[]; result: GraphExploreResult } {
  const found: Found[] = [];
  const result = exploreGraphs(p, model, { onExecution: (x, o) => found.push({ key: graphKey(x), outcome: outcomeKey(o.registers, x) }) });
  return { found, result };
}

/** The explorer's graphs are exactly the brute force's, none twice; outcomes agree. */
export function assertSameAsBruteForce(p: MmProgram, model: ConsistencyModel): void {
  const { found, result } = explored(p, model);
  const expected = bruteForce(p, model);
  const keys = found.map((f) => f.key).sort();
  assert.equal(new Set(keys).size, keys.length, 'a graph explored twice');
  assert.deepEqual(keys, expected.map((f) => f.key).sort());
  assert.equal(result.executions, expected.length);
  assert.deepEqual(result.outcomes.map((o, i) => found[i].outcome).sort(), expected.map((f) => f.outcome).sort());
}

