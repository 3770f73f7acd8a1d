/** The collapse family: verdicts, and the shape of the race the checker finds. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { replay } from '../src/explore/runtime.js';
import { commitMessage } from '../src/explore/commit.js';
import { renderTable } from '../src/explore/trace.js';
import { collapse } from '../src/scenarios/collapse.js';
import { entryPfn, leaf } from '../src/machine/mmu.js';

for (const s of collapse) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null, 'the search must be exhaustive');
    if (s.expect === 'verified') assert.equal(r.trace, null);
  });
}

for (const s of collapse.filter((x) => x.expect === 'violated')) {
  test(`${s.id}: GUP-fast pins the small page after the pmd was cleared; the range ends up on the THP`, () => {
    const r = check(s);
    const t = r.trace!;
    assert.equal(t.violation.property, 'stale-reference');
    const steps = t.steps;
    const returned = steps.flatMap((x) => x.notes).find((n) => /^returns page \d+/.test(n));
    assert.ok(returned, 'gup_fast_fallback returned a page');
    const P = Number(/^returns page (\d+)/.exec(returned)![1]);
    const clear = steps.findIndex((x) => x.op === 'xchg' && /^pmd\[/.test(x.target) && x.wrote === 0 || x.fn === 'radix__pmdp_collapse_flush' && x.op === 'store');
    const ref = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${P}->_refcount` && x.read === true);
    const check_ = steps.findIndex((x) => x.fn === '__collapse_huge_page_isolate' && x.target === `page ${P}->_refcount`);
    const install = steps.findIndex((x) => x.op === 'store' && /^pmd\[/.test(x.target) && leaf(x.wrote as number));
    assert.ok(clear >= 0 && ref > clear, 'the reference is taken after pmdp_collapse_flush cleared the pmd');
    assert.ok(check_ >= 0 && check_ < ref, "khugepaged's refcount check ran before GUP's reference");
    assert.ok(install > ref, 'the huge pmd is installed after the pin');
    const thp = steps.find((x) => x.op === 'alloc')!.read as number;
    assert.equal(entryPfn(steps[install].wrote as number), thp, 'the address now maps the new huge page');
    assert.notEqual(thp, P);
    assert.match(t.violation.message, new RegExp(`returned page ${P} .* maps page ${thp}`));
    assert.equal(t.preemptions, 2, 'minimal: two preemptions');
  });

  test(`${s.id}: the counterexample replays to the same violation`, () => {
    const r = check(s);
    const again = replay(s.build(s.config), r.trace!.schedule);
    assert.deepEqual(again.violation, r.trace!.violation);
    assert.deepEqual(again.trace.map((x) => [x.threadName, x.op, x.target]), r.trace!.steps.map((x) => [x.threadName, x.op, x.target]));
  });
}

test('explain names the kernel functions of the race', () => {
  const s = collapse.find((x) => x.id === 'collapse/arm64-no-recheck')!;
  const r = check(s);
  const table = renderTable(r.trace!);
  for (const fn of ['gup_fast_pte_range', 'try_get_folio', 'pmdp_collapse_flush', '__collapse_huge_page_isolate', '__collapse_huge_page_copy', 'STALE-REFERENCE'])
    assert.ok(table.includes(fn), `table mentions ${fn}`);
  const commit = commitMessage(r.trace!, { world: () => s.build(s.config) }).split('\n');
  for (const line of commit) assert.ok(line.length <= 72, `the commit format fits 72 columns: ${line}`);
});
