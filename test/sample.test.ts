/** Random walk and PCT: seeded and deterministic, violated or unknown (never verified), and
 * they find the catalog's races. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { replay } from '../src/explore/runtime.js';
import { prng, sample } from '../src/explore/sample.js';
import { findScenario } from '../src/scenarios/catalog.js';

const row = (id: string) => findScenario(id)!;

test('prng: same seed, same sequence; different seeds differ', () => {
  const a = prng(42), b = prng(42), c = prng(43);
  const xs = Array.from({ length: 5 }, a), ys = Array.from({ length: 5 }, b), zs = Array.from({ length: 5 }, c);
  assert.deepEqual(xs, ys);
  assert.notDeepEqual(xs, zs);
  assert.ok(xs.every((x) => x >= 0 && x < 1));
});

for (const strategy of ['random', 'pct'] as const) {
  test(`${strategy}: deterministic for a seed, and never 'verified'`, () => {
    const s = row('collapse/arm64-pmd-recheck');
    // every schedule of a run, for two runs with the same seed and one with another
    const schedules = (seed: number) => {
      const out: string[] = [];
      const world = () => s.build(s.config);
      const r = sample(world, { strategy, seed, maxExecutions: 20, onExecution: (_e, sch) => out.push(sch.join(',')) });
      assert.equal(r.executions, 20);
      return out;
    };
    assert.deepEqual(schedules(5), schedules(5));
    assert.notDeepEqual(schedules(5), schedules(6));
    assert.ok(new Set(schedules(5)).size > 1, 'different schedules within a run');
    const r = check(s, { strategy, seed: 5, maxExecutions: 30 });
    assert.equal(r.verdict, 'unknown');
    assert.equal(r.executions, 30);
    assert.equal(r.budget, 'max executions 30');
  });

  test(`${strategy}: finds the collapse race, and the counterexample replays`, () => {
    const s = row('collapse/arm64-no-recheck');
    // 20000: seed 1 of random needs 6865 since collapse_huge_page before v6.6 is no RCU reader (a349d72fd9ef)
    const a = check(s, { strategy, seed: 1, maxExecutions: 20000, noMinimize: true });
    const b = check(s, { strategy, seed: 1, maxExecutions: 20000, noMinimize: true });
    assert.equal(a.verdict, 'violated');
    assert.deepEqual(a.trace!.schedule, b.trace!.schedule);
    assert.equal(a.executions, b.executions);
    const again = replay(s.build(s.config), a.trace!.schedule);
    assert.equal(again.violation!.property, 'stale-reference');
  });
}

test('pct finds the reclaim and split races within a few hundred executions', () => {
  for (const id of ['reclaim/arm64-no-pte-recheck', 'split/pte-mapped-arm64-no-folio-recheck']) {
    const r = check(row(id), { strategy: 'pct', seed: 1, maxExecutions: 500, noMinimize: true });
    assert.equal(r.verdict, 'violated', id);
  }
});

test('shouldStop: the search stops between executions and says it was interrupted', () => {
  let n = 0;
  const r = check(row('collapse/arm64-pmd-recheck'), { shouldStop: () => ++n > 10 });
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.budget, 'interrupted');
  assert.equal(r.interrupted, true);
  assert.ok(r.executions <= 11);
});
