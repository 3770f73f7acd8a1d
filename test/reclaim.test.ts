/** The reclaim family: verdicts, the stale page's counterexample, the speculative-reference exhibit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { replay } from '../src/explore/runtime.js';
import { reclaim } from '../src/scenarios/reclaim.js';

const byId = (id: string) => reclaim.find((s) => s.id === `reclaim/${id}`)!;

for (const s of reclaim) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null);
  });
}

test('reclaim/arm64-no-pte-recheck: GUP-fast returns the page reclaim freed and another owner got', () => {
  const r = check(byId('arm64-no-pte-recheck'));
  const t = r.trace!;
  assert.equal(t.violation.property, 'stale-reference');
  const steps = t.steps;
  const P = Number(/returned page (\d+)/.exec(t.violation.message)![1]);
  const readPte = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pte_range' && x.op === 'load');
  const freeze = steps.findIndex((x) => x.op === 'cmpxchg' && x.target === `page ${P}->_refcount` && x.wrote === 0);
  const free = steps.findIndex((x) => x.op === 'free' && x.target.startsWith(`frame ${P} `));
  const realloc = steps.findIndex((x) => x.op === 'alloc' && x.read === P);
  const ref = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${P}->_refcount` && x.read === true);
  assert.ok(readPte >= 0 && readPte < freeze, 'GUP-fast read the pte before reclaim froze the page');
  assert.ok(freeze < free && free < realloc && realloc < ref, 'freeze, free, reallocation, then the speculative reference succeeds');
  assert.match(t.violation.message, /maps nothing/);
  const again = replay(byId('arm64-no-pte-recheck').build(byId('arm64-no-pte-recheck').config), t.schedule);
  assert.deepEqual(again.violation, t.violation);
});

test('reclaim/arm64-pte-recheck: the speculative reference on a reused page is shown, and dropped', () => {
  const r = check(byId('arm64-pte-recheck'));
  const o = r.observations.find((x) => x.kind === 'speculative-ref-on-reused-page');
  assert.ok(o, 'the exhibit is reported');
  const notes = o.trace.steps.flatMap((x) => x.notes);
  assert.ok(notes.some((n) => /recheck failed/.test(n)), 'the recheck drops it');
});

test('reclaim on x86-64: the flush IPI keeps the page from being reused under GUP-fast, not from being frozen', () => {
  const r = check(byId('x86-64-no-pte-recheck'));
  const kinds = r.observations.map((o) => o.kind);
  assert.ok(!kinds.includes('speculative-ref-on-reused-page'));
  // the freeze comes before the deferred flush: an IRQ-off GUP-fast can still meet the frozen count
  assert.ok(kinds.includes('try-get-on-frozen-folio'));
});
