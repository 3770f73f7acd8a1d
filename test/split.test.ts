/** The split family: every ordering of GUP-fast against split_huge_page is safe; Jann Horn's
 * page_folio recheck is what makes the PTE-mapped case safe on arm64. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { replay } from '../src/explore/runtime.js';
import { split } from '../src/scenarios/split.js';

const byId = (id: string) => split.find((s) => s.id === `split/${id}`)!;

for (const s of split) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null);
  });
}

test('split/pmd-leaf-arm64: all three orderings occur, each with a trace', () => {
  const r = check(byId('pmd-leaf-arm64'));
  const kinds = r.observations.map((o) => o.kind).sort();
  assert.deepEqual(kinds, ['pmd-recheck-backs-off', 'split-refused', 'try-get-on-frozen-folio']);
  for (const o of r.observations) assert.ok(o.trace.steps.length > 0);
});

test('split/pte-mapped-arm64-no-folio-recheck: the reference lands on the old head, the pte recheck passes (ABA)', () => {
  const s = byId('pte-mapped-arm64-no-folio-recheck');
  const t = check(s).trace!;
  assert.equal(t.violation.property, 'refcount');
  const steps = t.steps;
  const head = Number(/folio (\d+) has refcount/.exec(t.violation.message)![1]);
  const unfreeze = steps.findIndex((x) => x.fn === '__folio_split' && x.op === 'store' && x.target === `page ${head}->_refcount`);
  const ref = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${head}->_refcount` && x.read === true);
  const ptes = steps.filter((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pte_range' && x.op === 'load' && /^pte\[/.test(x.target));
  assert.ok(unfreeze >= 0 && ref > unfreeze, "GUP-fast's reference on the old head comes after the split unfroze it");
  assert.equal(ptes.length, 2);
  assert.equal(ptes[0].read, ptes[1].read, 'the pte recheck reads the same value again (the remapped pte)');
  const returned = steps.flatMap((x) => x.notes).find((n) => /^returns page/.test(n))!;
  assert.notEqual(Number(/returns page (\d+)/.exec(returned)![1]), head, 'the page returned is not the folio referenced');
  assert.deepEqual(replay(s.build(s.config), t.schedule).violation, t.violation);
});
