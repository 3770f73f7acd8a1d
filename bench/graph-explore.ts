/**
 * node dist/bench/graph-explore.js [--budget N]: executions and graphs per second of the
 * execution-graph explorer on 4-thread × 4-op programs, under three models: `none` (every graph
 * consistent: the explorer's own cost), SC and LKMM (the relation-algebra models of
 * src/memory-model). Each run stops after --budget executions (default 5000); the heap in use
 * after each run shows that memory does not grow with the executions explored. Figures are
 * machine-dependent: compare ratios within one run.
 */
import { exploreGraphs } from '../src/memory-model/graph-explore.js';
import { lkmm } from '../src/memory-model/lkmm/index.js';
import type { ConsistencyModel } from '../src/memory-model/model.js';
import { type MmOp, type MmProgram, NO_DEPS, type ThreadProgram } from '../src/memory-model/ops.js';
import { sc } from '../src/memory-model/sc.js';

const budget = process.argv.includes('--budget') ? Number(process.argv[process.argv.indexOf('--budget') + 1]) : 5000;

const store = (loc: number, value: number): MmOp => ({ op: 'store', loc, value, tag: 'once', deps: NO_DEPS });
const load = (loc: number): MmOp => ({ op: 'load', loc, tag: 'once', deps: NO_DEPS });
const add = (loc: number): MmOp => ({ op: 'rmw', loc, tag: 'mb', update: (v) => v + 1, deps: NO_DEPS });

/** A thread that yields the ops and returns what its reads saw. */
function thread(ops: MmOp[]): ThreadProgram {
  return function* () {
    const regs: Record<string, number> = {};
    for (const [i, op] of ops.entries()) {
      const v = yield op;
      if (op.op === 'load' || op.op === 'rmw') regs[`r${i}`] = v;
    }
    return regs;
  };
}

const programs: Record<string, MmProgram> = {
  'SB ring (W own, R next, W own, R next+1)': {
    threads: [0, 1, 2, 3].map((i) => thread([store(i, 1), load((i + 1) % 4), store(i, 2), load((i + 2) % 4)])),
    init: new Map(),
  },
  'one location (W, R, W, R)': {
    threads: [0, 1, 2, 3].map((i) => thread([store(0, i + 1), load(0), store(0, i + 5), load(0)])),
    init: new Map(),
  },
  'two locations crossed': {
    threads: [0, 1, 2, 3].map((i) => thread([store(i % 2, i + 1), load((i + 1) % 2), store((i + 1) % 2, i + 1), load(i % 2)])),
    init: new Map(),
  },
  'fetch-adds and loads': {
    threads: [0, 1, 2, 3].map(() => thread([add(0), load(1), add(1), load(0)])),
    init: new Map(),
  },
};

const none: ConsistencyModel = { name: 'none', consistent: () => true };
const models: ConsistencyModel[] = [none, sc, lkmm];

console.log(`budget ${budget} executions per run`);
console.log('program | model | executions | graphs | ms | executions/s | graphs/s | heap MB');
for (const [name, p] of Object.entries(programs)) {
  for (const m of models) {
    const t0 = performance.now();
    const r = exploreGraphs(p, m, { budget });
    const ms = performance.now() - t0;
    r.outcomes.length = 0; // the outcomes list is the caller's; keep the heap figure the explorer's
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    const per = (n: number) => Math.round((n / ms) * 1000);
    console.log(`${name} | ${m.name} | ${r.executions}${r.complete ? '' : '+'} | ${r.graphs} | ${ms.toFixed(0)} | ${per(r.executions)} | ${per(r.graphs)} | ${heap.toFixed(0)}`);
  }
}
