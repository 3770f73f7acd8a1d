/**
 * The execution-graph explorer (TruSt) must find every consistent execution graph of a program
 * once: on classic shapes its counts are the hand-computed ones, and on random small programs
 * its graphs are exactly those of a brute-force enumeration (every per-thread trace × rf × co,
 * filtered by the same model), with none twice. The models here are test-only: SC
 * (acyclic(po ∪ rf ∪ co ∪ fr)) and coherence (acyclic(po-loc ∪ rf ∪ co ∪ fr)), both with
 * atomicity. The explorer builds only graphs whose po ∪ rf is acyclic, so the brute force drops
 * porf-cyclic candidates (load buffering) when it is compared with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { exploreGraphs, type GraphExploreResult } from '../src/memory-model/graph-explore.js';
import type { FenceTag, RmwTag } from '../src/memory-model/ops.js';
import { assertSameAsBruteForce, coherence, type Ins, program, sc } from './brute-force.js';

// ---------------------------------------------------------------- classic shapes

const X = 0, Y = 1, Z = 2;
const states = (r: GraphExploreResult) => [...new Set(r.outcomes.map((o) => JSON.stringify(o.registers)))].sort();

test('SB: 3 executions under SC (r0=0 ∧ r1=0 forbidden), 4 under coherence', () => {
  const p = program([[{ k: 'st', x: X, v: 1 }, { k: 'ld', x: Y, r: 'r0' }], [{ k: 'st', x: Y, v: 1 }, { k: 'ld', x: X, r: 'r1' }]]);
  const s = exploreGraphs(p, sc);
  assert.equal(s.executions, 3);
  assert.deepEqual(states(s), ['[{"r0":0},{"r1":1}]', '[{"r0":1},{"r1":0}]', '[{"r0":1},{"r1":1}]']);
  const c = exploreGraphs(p, coherence);
  assert.equal(c.executions, 4);
  assert.ok(states(c).includes('[{"r0":0},{"r1":0}]'));
});

test('MP: 3 executions under SC (r0=1 ∧ r1=0 forbidden), 4 under coherence', () => {
  const p = program([[{ k: 'st', x: X, v: 1 }, { k: 'st', x: Y, v: 1 }], [{ k: 'ld', x: Y, r: 'r0' }, { k: 'ld', x: X, r: 'r1' }]]);
  const s = exploreGraphs(p, sc);
  assert.equal(s.executions, 3);
  assert.ok(!states(s).includes('[{},{"r0":1,"r1":0}]'));
  assert.equal(exploreGraphs(p, coherence).executions, 4);
});

test('2+2W: 3 executions under SC (x=1 ∧ y=1 at the end forbidden), 4 under coherence', () => {
  const p = program([[{ k: 'st', x: X, v: 1 }, { k: 'st', x: Y, v: 2 }], [{ k: 'st', x: Y, v: 1 }, { k: 'st', x: X, v: 2 }]]);
  const s = exploreGraphs(p, sc);
  assert.equal(s.executions, 3);
  const finals = s.outcomes.map((o) => `${o.memory.get(X)}${o.memory.get(Y)}`).sort();
  assert.deepEqual(finals, ['12', '21', '22']);
  assert.equal(exploreGraphs(p, coherence).executions, 4);
});

test('IRIW: 15 executions under SC (the readers disagreeing on the order forbidden), 16 under coherence', () => {
  const p = program([
    [{ k: 'st', x: X, v: 1 }], [{ k: 'st', x: Y, v: 1 }],
    [{ k: 'ld', x: X, r: 'a' }, { k: 'ld', x: Y, r: 'b' }], [{ k: 'ld', x: Y, r: 'c' }, { k: 'ld', x: X, r: 'd' }],
  ]);
  const s = exploreGraphs(p, sc);
  assert.equal(s.executions, 15);
  assert.ok(!states(s).includes('[{},{},{"a":1,"b":0},{"c":1,"d":0}]'));
  assert.equal(exploreGraphs(p, coherence).executions, 16);
});

test('n threads each writing its location then reading the next: 2^n - 1 under SC, 2^n under coherence', () => {
  for (const n of [2, 3, 4, 5]) {
    const p = program(Array.from({ length: n }, (_, i) => [{ k: 'st', x: i, v: 1 }, { k: 'ld', x: (i + 1) % n, r: 'r' }]));
    assert.equal(exploreGraphs(p, sc).executions, 2 ** n - 1, `n=${n}`);
    assert.equal(exploreGraphs(p, coherence).executions, 2 ** n, `n=${n}`);
  }
});

test('n threads each writing x then reading it: n! coherence orders; the counts match brute force', () => {
  for (const n of [2, 3]) {
    const p = program(Array.from({ length: n }, (_, i) => [{ k: 'st', x: X, v: i + 1 }, { k: 'ld', x: X, r: 'r' }]));
    assertSameAsBruteForce(p, sc);
    assertSameAsBruteForce(p, coherence);
  }
});

test('coherence shapes: CoRR, CoWR, CoRW, CoWW forbid their incoherent outcome under coherence', () => {
  const corr = program([[{ k: 'st', x: X, v: 1 }], [{ k: 'ld', x: X, r: 'a' }, { k: 'ld', x: X, r: 'b' }]]);
  assert.ok(!states(exploreGraphs(corr, coherence)).includes('[{},{"a":1,"b":0}]'));
  assert.equal(exploreGraphs(corr, coherence).executions, 3);
  const cowr = program([[{ k: 'st', x: X, v: 1 }, { k: 'ld', x: X, r: 'a' }], [{ k: 'st', x: X, v: 2 }]]);
  const r = exploreGraphs(cowr, coherence);
  // co 1<2: a reads 1 or 2; co 2<1: a reads 1 only.
  assert.equal(r.executions, 3);
  const coww = program([[{ k: 'st', x: X, v: 1 }, { k: 'st', x: X, v: 2 }]]);
  assert.deepEqual(exploreGraphs(coww, coherence).outcomes.map((o) => o.memory.get(X)), [2]);
  const corw = program([[{ k: 'ld', x: X, r: 'a' }, { k: 'st', x: X, v: 1 }], [{ k: 'st', x: X, v: 2 }]]);
  for (const o of exploreGraphs(corw, coherence).outcomes) {
    // a read the other thread's 2: then 2 is co-before 1, and x ends at 1.
    if (o.registers[0].a === 2) assert.equal(o.memory.get(X), 1);
  }
});

test('two fetch-adds: 2 executions, both see 0 and 1 and leave 2; no two RMWs read one write', () => {
  const p = program([[{ k: 'add', x: X, r: 'a', tag: 'mb' }], [{ k: 'add', x: X, r: 'b', tag: 'once' }]]);
  for (const m of [sc, coherence]) {
    const r = exploreGraphs(p, m);
    assert.equal(r.executions, 2);
    assert.deepEqual(r.outcomes.map((o) => [o.registers[0].a + o.registers[1].b, o.memory.get(X)]), [[1, 2], [1, 2]]);
  }
});

test('three fetch-adds: 6 executions (3! orders), x ends at 3', () => {
  const p = program([0, 1, 2].map(() => [{ k: 'add', x: X, r: 'a', tag: 'once' } as Ins]));
  const r = exploreGraphs(p, coherence);
  assert.equal(r.executions, 6);
  assert.ok(r.outcomes.every((o) => o.memory.get(X) === 3));
});

test('an mb RMW is F[mb] R W F[mb]; a failed cmpxchg is one R(once)', () => {
  const p = program([[{ k: 'cas', x: X, e: 0, n: 1, r: 'a' }], [{ k: 'st', x: X, v: 2 }]]);
  const tags: string[] = [];
  exploreGraphs(p, sc, { onExecution: (x) => tags.push(x.events.filter((e) => e.thread === 0).map((e) => `${e.kind}${e.tag}`).join(' ')) });
  assert.deepEqual(tags.sort(), ['Fmb Ronce Wonce Fmb', 'Ronce']);
});

test('locks: two critical sections incrementing x run in both orders under SC; x ends at 2', () => {
  const cs: Ins[] = [{ k: 'lock', l: Z }, { k: 'ld', x: X, r: 'a' }, { k: 'st', x: X, v: 1 }, { k: 'unlock', l: Z }];
  const inc: Ins[] = [{ k: 'lock', l: Z }, { k: 'ld', x: X, r: 'a' }, { k: 'if', r: 'a', v: 1, then: [{ k: 'st', x: X, v: 2 }] }, { k: 'if', r: 'a', v: 0, then: [{ k: 'st', x: X, v: 1 }] }, { k: 'unlock', l: Z }];
  const r = exploreGraphs(program([inc, inc]), sc);
  assert.equal(r.executions, 2);
  assert.deepEqual(r.outcomes.map((o) => o.memory.get(X)), [2, 2]);
  assert.equal(r.deadlocks, 0);
  // Coherence alone does not order the critical sections (lock.cat does): a stale x is allowed.
  assert.ok(exploreGraphs(program([inc, inc]), coherence).outcomes.some((o) => o.memory.get(X) === 1));
  for (const m of [sc, coherence]) {
    assertSameAsBruteForce(program([inc, inc]), m);
    assertSameAsBruteForce(program([cs, cs]), m);
  }
});

test('a thread taking a lock twice deadlocks: no execution, one deadlock', () => {
  const r = exploreGraphs(program([[{ k: 'lock', l: Z }, { k: 'lock', l: Z }]]), sc);
  assert.equal(r.executions, 0);
  assert.equal(r.deadlocks, 1);
});

test('ABBA locking: the two executions where one thread runs first, and deadlocks counted apart', () => {
  const ab: Ins[] = [{ k: 'lock', l: X }, { k: 'lock', l: Y }, { k: 'unlock', l: Y }, { k: 'unlock', l: X }];
  const ba: Ins[] = [{ k: 'lock', l: Y }, { k: 'lock', l: X }, { k: 'unlock', l: X }, { k: 'unlock', l: Y }];
  const r = exploreGraphs(program([ab, ba]), sc);
  assert.equal(r.executions, 2);
  assert.ok(r.deadlocks >= 1);
});

test('trylock: fails (LF) while the other thread holds the lock; a trylock never released deadlocks the locker', () => {
  const p = program([[{ k: 'lock', l: Z }, { k: 'unlock', l: Z }], [{ k: 'trylock', l: Z, r: 'ok' }]]);
  assertSameAsBruteForce(p, sc);
  const r = exploreGraphs(p, sc);
  assert.deepEqual(r.outcomes.map((o) => o.registers[1].ok).sort(), [0, 1]);
  assert.equal(r.deadlocks, 1);
});

test('the budget stops the exploration and says so', () => {
  const p = program(Array.from({ length: 4 }, (_, i) => [{ k: 'st', x: i, v: 1 }, { k: 'ld', x: (i + 1) % 4, r: 'r' }]));
  const r = exploreGraphs(p, sc, { budget: 5 });
  assert.equal(r.executions, 5);
  assert.equal(r.complete, false);
  assert.equal(exploreGraphs(p, sc).complete, true);
});

// ---------------------------------------------------------------- random programs

const LOCS = 3;
const loc = fc.nat(LOCS - 1);
const val = fc.integer({ min: 1, max: 3 });
const reg = fc.constantFrom('a', 'b');
const leaf: fc.Arbitrary<Ins> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('ld' as const), x: loc, r: reg }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('st' as const), x: loc, v: val }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('xchg' as const), x: loc, v: val, r: reg, tag: fc.constantFrom<RmwTag>('mb', 'once', 'acquire', 'release') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('add' as const), x: loc, r: reg, tag: fc.constantFrom<RmwTag>('mb', 'noreturn') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cas' as const), x: loc, e: fc.nat(2), n: val, r: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('fence' as const), tag: fc.constantFrom<FenceTag>('mb', 'rmb', 'wmb') }) },
);
const ins: fc.Arbitrary<Ins> = fc.oneof(
  { weight: 6, arbitrary: leaf },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('if' as const), r: reg, v: fc.nat(2), then: fc.array(leaf, { minLength: 1, maxLength: 2 }) }) },
);
/** 2-4 threads of 1-4 instructions, at most 8 in all (the brute force is exponential). */
const programs = fc.array(fc.array(ins, { minLength: 1, maxLength: 4 }), { minLength: 2, maxLength: 4 })
  .filter((ts) => ts.flat().length <= 8);

test('random programs: the explorer finds exactly the brute force graphs under SC, each once', () => {
  fc.assert(fc.property(programs, (ts) => assertSameAsBruteForce(program(ts), sc)), { numRuns: 100 });
});

test('random programs: the explorer finds exactly the brute force porf-acyclic graphs under coherence, each once', () => {
  fc.assert(fc.property(programs, (ts) => assertSameAsBruteForce(program(ts), coherence)), { numRuns: 100 });
});

const lockIns: fc.Arbitrary<Ins[]> = fc.oneof(
  fc.array(leaf, { minLength: 1, maxLength: 2 }).map((body): Ins[] => [{ k: 'lock', l: 3 }, ...body, { k: 'unlock', l: 3 }]),
  fc.array(leaf, { minLength: 1, maxLength: 2 }).map((body): Ins[] => [{ k: 'trylock', l: 3, r: 't' }, { k: 'if', r: 't', v: 1, then: [...body, { k: 'unlock', l: 3 }] }]),
  fc.array(leaf, { minLength: 1, maxLength: 2 }),
);
const lockPrograms = fc.array(lockIns, { minLength: 2, maxLength: 3 }).filter((ts) => ts.flat().length <= 8);

test('random programs with locks and trylocks: the explorer finds exactly the brute force graphs, each once', () => {
  fc.assert(fc.property(lockPrograms, (ts) => {
    assertSameAsBruteForce(program(ts), sc);
    assertSameAsBruteForce(program(ts), coherence);
  }), { numRuns: 60 });
});
