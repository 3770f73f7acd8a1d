/**
 * The execution-graph explorer under LKMM against the brute-force enumerator (enumerate.ts,
 * herd7's method). The explorer builds only graphs whose po ∪ rf is acyclic, so it is compared
 * with enumerate under "po ∪ rf acyclic and LKMM": on every shape without load buffering that is
 * all of LKMM; on LB shapes the difference is the explorer's known limit, asserted below.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { holds } from '../src/litmus/condition.js';
import { parseLitmus } from '../src/litmus/parser.js';
import { lower } from '../src/litmus/lower.js';
import { enumerate } from '../src/memory-model/enumerate.js';
import type { Execution } from '../src/memory-model/execution.js';
import { exploreGraphs } from '../src/memory-model/graph-explore.js';
import { lkmm } from '../src/memory-model/lkmm/index.js';
import type { ConsistencyModel } from '../src/memory-model/model.js';
import type { EngineResult, FenceTag, MmProgram, Outcome, RmwTag } from '../src/memory-model/ops.js';
import { type Ins, porfAcyclic, program } from './brute-force.js';

/** LKMM restricted to the executions the explorer can build. */
const porfLkmm: ConsistencyModel = {
  name: 'porf-lkmm',
  consistent: (x: Execution) => porfAcyclic(x) && lkmm.consistent(x),
  failedAxiom: (x: Execution) => (porfAcyclic(x) ? lkmm.failedAxiom!(x) : 'porf-cycle'),
  flags: lkmm.flags,
};

const outcomeKey = (o: Outcome) => JSON.stringify([o.registers.map((r) => Object.entries(r).sort()), [...o.memory].sort((a, b) => a[0] - b[0]), [...o.flags].sort()]);
const outcomes = (r: EngineResult) => r.outcomes.map(outcomeKey).sort();

/** The explorer's executions are enumerate's porf-acyclic ones: same count, same outcomes. */
function assertAgrees(p: MmProgram): { explorer: EngineResult; all: EngineResult } {
  const explorer = exploreGraphs(p, lkmm);
  const porf = enumerate(p, { model: porfLkmm });
  assert.equal(explorer.executions, porf.executions);
  assert.deepEqual(outcomes(explorer), outcomes(porf));
  return { explorer, all: enumerate(p) };
}

/** A litmus test from thread bodies; `seen` says whether some outcome satisfies its `exists`. */
function litmus(name: string, threads: string[], exists: string, init = ''): { program: MmProgram; seen: (r: EngineResult) => boolean } {
  const text = `C ${name}\n{${init}}\n${threads.map((body, i) => `P${i}(int *x, int *y, int *z, spinlock_t *s)\n{\n\tint r0;\n\tint r1;\n\tint r2;\n${body}\n}\n`).join('')}exists (${exists})\n`;
  const t = parseLitmus(`${name}.litmus`, text);
  const { program, layout } = lower(t);
  return { program, seen: (r) => r.outcomes.some((o) => holds(t.condition.prop, o, layout)) };
}

interface Shape { name: string; threads: string[]; exists: string; lkmm: 'Never' | 'Sometimes' }

const W = (l: string, v = 1) => `\tWRITE_ONCE(*${l}, ${v});`;
const R = (r: string, l: string) => `\t${r} = READ_ONCE(*${l});`;

/** Shapes without load buffering, each with and without what forbids it, and LKMM's result. */
const SHAPES: Shape[] = [
  { name: 'MP+poonceonces', threads: [[W('x'), W('y')].join('\n'), [R('r0', 'y'), R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 1:r1=0', lkmm: 'Sometimes' },
  { name: 'MP+fencewmbonceonce+fencermbonceonce', threads: [[W('x'), '\tsmp_wmb();', W('y')].join('\n'), [R('r0', 'y'), '\tsmp_rmb();', R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 1:r1=0', lkmm: 'Never' },
  { name: 'MP+pooncerelease+poacquireonce', threads: [[W('x'), '\tsmp_store_release(y, 1);'].join('\n'), ['\tr0 = smp_load_acquire(y);', R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 1:r1=0', lkmm: 'Never' },
  { name: 'SB+poonceonces', threads: [[W('x'), R('r0', 'y')].join('\n'), [W('y'), R('r0', 'x')].join('\n')], exists: '0:r0=0 /\\ 1:r0=0', lkmm: 'Sometimes' },
  { name: 'SB+fencembonceonces', threads: [[W('x'), '\tsmp_mb();', R('r0', 'y')].join('\n'), [W('y'), '\tsmp_mb();', R('r0', 'x')].join('\n')], exists: '0:r0=0 /\\ 1:r0=0', lkmm: 'Never' },
  { name: 'WRC+poonceonces+Once', threads: [W('x'), [R('r0', 'x'), W('y')].join('\n'), [R('r0', 'y'), R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0', lkmm: 'Sometimes' },
  { name: 'WRC+pooncerelease+fencermbonceonce+Once', threads: [W('x'), [R('r0', 'x'), '\tsmp_store_release(y, 1);'].join('\n'), [R('r0', 'y'), '\tsmp_rmb();', R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0', lkmm: 'Never' },
  { name: 'IRIW+poonceonces+OnceOnce', threads: [W('x'), [R('r0', 'x'), R('r1', 'y')].join('\n'), W('y'), [R('r0', 'y'), R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0', lkmm: 'Sometimes' },
  { name: 'IRIW+fencembonceonces+OnceOnce', threads: [W('x'), [R('r0', 'x'), '\tsmp_mb();', R('r1', 'y')].join('\n'), W('y'), [R('r0', 'y'), '\tsmp_mb();', R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 1:r1=0 /\\ 3:r0=1 /\\ 3:r1=0', lkmm: 'Never' },
  { name: 'ISA2+pooncerelease+poacquirerelease+poacquireonce', threads: [[W('x'), '\tsmp_store_release(y, 1);'].join('\n'), ['\tr0 = smp_load_acquire(y);', '\tsmp_store_release(z, 1);'].join('\n'), ['\tr0 = smp_load_acquire(z);', R('r1', 'x')].join('\n')], exists: '1:r0=1 /\\ 2:r0=1 /\\ 2:r1=0', lkmm: 'Never' },
  { name: 'R+poonceonces', threads: [[W('x'), W('y')].join('\n'), [W('y', 2), R('r0', 'x')].join('\n')], exists: 'y=2 /\\ 1:r0=0', lkmm: 'Sometimes' },
  { name: 'R+fencembonceonces', threads: [[W('x'), '\tsmp_mb();', W('y')].join('\n'), [W('y', 2), '\tsmp_mb();', R('r0', 'x')].join('\n')], exists: 'y=2 /\\ 1:r0=0', lkmm: 'Never' },
  { name: 'S+poonceonces', threads: [[W('x', 2), W('y')].join('\n'), [R('r0', 'y'), W('x')].join('\n')], exists: 'x=2 /\\ 1:r0=1', lkmm: 'Sometimes' },
  { name: '2+2W+poonceonces', threads: [[W('x'), W('y', 2)].join('\n'), [W('y'), W('x', 2)].join('\n')], exists: 'x=1 /\\ y=1', lkmm: 'Sometimes' },
  // smp_wmb() does not forbid 2+2W in LKMM (only strong fences do, through pb).
  { name: '2+2W+fencewmbonceonces', threads: [[W('x'), '\tsmp_wmb();', W('y', 2)].join('\n'), [W('y'), '\tsmp_wmb();', W('x', 2)].join('\n')], exists: 'x=1 /\\ y=1', lkmm: 'Sometimes' },
  { name: '2+2W+fencembonceonces', threads: [[W('x'), '\tsmp_mb();', W('y', 2)].join('\n'), [W('y'), '\tsmp_mb();', W('x', 2)].join('\n')], exists: 'x=1 /\\ y=1', lkmm: 'Never' },
  { name: 'S+fencewmbonceonce+poacquireonce', threads: [[W('x', 2), '\tsmp_wmb();', W('y')].join('\n'), ['\tr0 = smp_load_acquire(y);', W('x')].join('\n')], exists: 'x=2 /\\ 1:r0=1', lkmm: 'Never' },
  {
    name: 'RCU-MP', lkmm: 'Never', exists: '0:r0=1 /\\ 0:r1=0',
    threads: [['\trcu_read_lock();', R('r0', 'y'), R('r1', 'x'), '\trcu_read_unlock();'].join('\n'), [W('x'), '\tsynchronize_rcu();', W('y')].join('\n')],
  },
  {
    name: 'RCU-MP+no-sync', lkmm: 'Sometimes', exists: '0:r0=1 /\\ 0:r1=0',
    threads: [['\trcu_read_lock();', R('r0', 'y'), R('r1', 'x'), '\trcu_read_unlock();'].join('\n'), [W('x'), W('y')].join('\n')],
  },
  {
    name: 'lock-MP-unlocked-reader', lkmm: 'Sometimes', exists: '1:r0=1 /\\ 1:r1=0',
    threads: [['\tspin_lock(s);', W('x'), W('y'), '\tspin_unlock(s);'].join('\n'), [R('r0', 'y'), R('r1', 'x')].join('\n')],
  },
  {
    name: 'lock-MP', lkmm: 'Never', exists: '1:r0=1 /\\ 1:r1=0',
    threads: [['\tspin_lock(s);', W('x'), W('y'), '\tspin_unlock(s);'].join('\n'), ['\tspin_lock(s);', R('r0', 'y'), R('r1', 'x'), '\tspin_unlock(s);'].join('\n')],
  },
  {
    name: 'cmpxchg-mutex', lkmm: 'Never', exists: '0:r0=0 /\\ 1:r0=0',
    threads: ['\tr0 = cmpxchg(z, 0, 1);', '\tr0 = cmpxchg(z, 0, 1);'],
  },
  {
    name: 'cmpxchg-relaxed-MP', lkmm: 'Sometimes', exists: '1:r0=1 /\\ 1:r1=0',
    threads: [[W('x'), '\tr0 = cmpxchg_relaxed(y, 0, 1);'].join('\n'), [R('r0', 'y'), R('r1', 'x')].join('\n')],
  },
  {
    name: 'cmpxchg-MP', lkmm: 'Never', exists: '1:r0=1 /\\ 1:r1=0',
    threads: [[W('x'), '\tr0 = cmpxchg(y, 0, 1);'].join('\n'), [R('r0', 'y'), '\tsmp_rmb();', R('r1', 'x')].join('\n')],
  },
];

for (const s of SHAPES) {
  test(`LKMM ${s.name}: the explorer agrees with enumerate; the bad outcome is ${s.lkmm === 'Never' ? 'forbidden' : 'allowed'}`, () => {
    const t = litmus(s.name, s.threads, s.exists);
    const { explorer, all } = assertAgrees(t.program);
    // No load buffering here: the porf-acyclic executions are all of LKMM's.
    assert.deepEqual(outcomes(explorer), outcomes(all));
    assert.equal(t.seen(all), s.lkmm === 'Sometimes');
    assert.equal(t.seen(explorer), s.lkmm === 'Sometimes');
  });
}

test('LKMM load buffering: LB+poonceonces is Sometimes under LKMM, but the explorer builds no po ∪ rf cycle (known limit)', () => {
  const t = litmus('LB+poonceonces', [[R('r0', 'x'), W('y')].join('\n'), [R('r0', 'y'), W('x')].join('\n')], '0:r0=1 /\\ 1:r0=1');
  const { explorer, all } = assertAgrees(t.program);
  assert.equal(t.seen(all), true);
  assert.equal(t.seen(explorer), false);
  assert.equal(all.executions, explorer.executions + 1);
});

test('LKMM load buffering with dependencies: LB+datas and LB+ctrl+mb are Never, and the explorer agrees', () => {
  const datas = litmus('LB+datas', [[R('r0', 'x'), '\tWRITE_ONCE(*y, r0);'].join('\n'), [R('r0', 'y'), '\tWRITE_ONCE(*x, r0);'].join('\n')], '0:r0=1 /\\ 1:r0=1', 'x=0; y=0;');
  const d = assertAgrees(datas.program);
  assert.deepEqual(outcomes(d.explorer), outcomes(d.all));
  assert.equal(datas.seen(d.all), false);
  const ctrl = litmus('LB+ctrl+mb', [[R('r0', 'x'), '\tif (r0) WRITE_ONCE(*y, 1);'].join('\n'), [R('r0', 'y'), '\tsmp_mb();', W('x')].join('\n')], '0:r0=1 /\\ 1:r0=1');
  const r = assertAgrees(ctrl.program);
  assert.deepEqual(outcomes(r.explorer), outcomes(r.all));
  assert.equal(ctrl.seen(r.all), false);
});

test('LKMM: the kernel-style examples (examples/litmus) give the same executions as enumerate', () => {
  const dir = 'examples/litmus';
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.litmus'))) {
    const p = lower(parseLitmus(f, readFileSync(join(dir, f), 'utf8'))).program;
    const { explorer, all } = assertAgrees(p);
    assert.deepEqual(outcomes(explorer), outcomes(all), f);
  }
});

// ---------------------------------------------------------------- random programs under LKMM

const LOCS = 3;
const loc = fc.nat(LOCS - 1);
const val = fc.integer({ min: 1, max: 2 });
const reg = fc.constantFrom('a', 'b');
const leaf: fc.Arbitrary<Ins> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant('ld' as const), x: loc, r: reg, tag: fc.constantFrom('once' as const, 'acquire' as const, 'plain' as const) }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('st' as const), x: loc, v: val, tag: fc.constantFrom('once' as const, 'release' as const, 'plain' as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('stv' as const), x: loc, r: reg }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('xchg' as const), x: loc, v: val, r: reg, tag: fc.constantFrom<RmwTag>('mb', 'once', 'acquire', 'release') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('add' as const), x: loc, r: reg, tag: fc.constantFrom<RmwTag>('mb', 'noreturn') }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('cas' as const), x: loc, e: fc.nat(1), n: val, r: reg }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('fence' as const), tag: fc.constantFrom<FenceTag>('mb', 'rmb', 'wmb', 'before-atomic', 'after-atomic', 'sync-rcu') }) },
);
const ins: fc.Arbitrary<Ins[]> = fc.oneof(
  { weight: 6, arbitrary: leaf.map((i) => [i]) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('if' as const), r: reg, v: fc.nat(1), then: fc.array(leaf, { minLength: 1, maxLength: 2 }) }).map((i): Ins[] => [i]) },
  { weight: 1, arbitrary: fc.array(leaf, { minLength: 1, maxLength: 2 }).map((b): Ins[] => [{ k: 'fence', tag: 'rcu-lock' }, ...b, { k: 'fence', tag: 'rcu-unlock' }]) },
);
const programs = fc.array(fc.array(ins, { minLength: 1, maxLength: 3 }).map((is) => is.flat()), { minLength: 2, maxLength: 3 })
  .filter((ts) => ts.flat().length <= 7);

test('random programs under LKMM: the explorer finds exactly enumerate\'s porf-acyclic executions', () => {
  fc.assert(fc.property(programs, (ts) => { assertAgrees(program(ts)); }), { numRuns: 60 });
});
