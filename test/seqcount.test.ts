/** The seqcount family: Linus's sequence count closes collapse and reclaim if the writers bump
 * it around clearing the entry, and not if they bump it late. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { seqcount } from '../src/scenarios/seqcount.js';

for (const s of seqcount) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null);
  });
}

test('seqcount/collapse-late-bump: GUP-fast samples and rechecks the count before the writer enters it', () => {
  const t = check(seqcount.find((s) => s.id === 'seqcount/collapse-late-bump')!).trace!;
  assert.equal(t.violation.property, 'stale-reference');
  const seqReads = t.steps.filter((x) => x.threadName === 'cpu0' && x.target === 'mm->replace_seq');
  const bump = t.steps.findIndex((x) => x.threadName === 'cpu1' && x.target === 'mm->replace_seq');
  const clear = t.steps.findIndex((x) => x.fn === 'pmdp_collapse_flush' && x.op === 'xchg');
  assert.equal(seqReads.length, 2);
  assert.ok(seqReads.every((x) => x.read === 0), 'both reads see an even, unchanged count');
  assert.ok(clear >= 0 && clear < seqReads[1].index, 'the pmd was cleared before GUP-fast checked the count');
  assert.ok(bump > seqReads[1].index, 'the writer bumped the count only afterwards');
  assert.ok(t.steps.every((x) => !(x.threadName === 'cpu0' && x.op === 'irq_disable')), 'GUP-fast ran with IRQs on');
});
