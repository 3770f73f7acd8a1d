/** The rcu-free family: verdicts, the shape of the use-after-free, replay, and the exhibit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { replay } from '../src/explore/runtime.js';
import { commitMessage } from '../src/explore/commit.js';
import { renderTable } from '../src/explore/trace.js';
import { rcuFree } from '../src/scenarios/rcu-free.js';

const byId = (v: string) => rcuFree.find((s) => s.variant === v)!;

for (const s of rcuFree) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null, 'the search must be exhaustive');
    assert.equal(r.cutAtBound, 0);
    if (s.expect === 'verified') assert.equal(r.trace, null);
  });
}

test('rcu-free/arm64-no-rcu-table-free: GUP-fast reads the pte table after free_pte_range cleared the pmd and the table was freed and reused', () => {
  const s = byId('arm64-no-rcu-table-free');
  const r = check(s);
  const t = r.trace!;
  assert.equal(t.violation.property, 'pt-uaf');
  assert.match(t.violation.message, /^cpu0: read of page-table frame (\d+) after it was freed and reused/);
  const table = Number(/frame (\d+)/.exec(t.violation.message)![1]);
  const steps = t.steps;
  const pmdRead = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pmd_range' && x.op === 'load');
  const clear = steps.findIndex((x) => x.fn === 'free_pte_range' && x.op === 'store' && x.wrote === 0);
  const tlbi = steps.findIndex((x) => x.op === 'tlbi_broadcast');
  const free = steps.findIndex((x) => x.op === 'free' && x.target.includes(`frame ${table}`));
  const reuse = steps.findIndex((x, i) => i > free && x.op === 'alloc' && x.read === table);
  assert.ok(pmdRead >= 0 && pmdRead < clear, 'GUP-fast read the pmd before it was cleared');
  assert.ok(clear < tlbi && tlbi < free, 'pmd_clear, broadcast TLBI, then the free: nothing waits for CPU 0');
  assert.ok(reuse > free, 'the LIFO allocator hands the table frame out again');
  assert.equal(steps[steps.length - 1].threadName, 'cpu0', 'the faulting read is GUP-fast');
  assert.equal(t.preemptions, 1);
  const again = replay(s.build(s.config), t.schedule);
  assert.deepEqual(again.violation, t.violation);
});

test('rcu-free/arm64-rcu-table-free: the table is freed by the RCU callback, after GUP-fast re-enabled IRQs', () => {
  const r = check(byId('arm64-rcu-table-free'));
  assert.equal(r.trace, null);
});

test('exhibit: a speculative reference lands on a data page freed by munmap and reused by another owner; the recheck drops it', () => {
  const r = check(byId('arm64-rcu-table-free'));
  const o = r.observations.find((x) => x.kind === 'speculative-ref-on-reused-page');
  assert.ok(o, 'the checker reports the exhibit');
  const steps = o.trace.steps;
  const page = Number(/page (\d+)/.exec(o.message)![1]);
  const freed = steps.findIndex((x) => x.op === 'free' && x.target.includes(`frame ${page}`));
  const owner = steps.findIndex((x, i) => i > freed && x.op === 'alloc' && x.read === page);
  const ref = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${page}->_refcount` && x.read === true);
  assert.ok(freed >= 0 && owner > freed && ref > owner, 'freed, reallocated to another owner, then the add-unless-zero succeeds on it');
  // the run goes on to the recheck and drops the reference: the refcount oracle found it balanced
  const exec = replay(byId('arm64-rcu-table-free').build(byId('arm64-rcu-table-free').config), o.trace.schedule);
  assert.equal(exec.violation, null, 'no violation: the reference is dropped and the counts balance');
  assert.ok(exec.trace.some((x) => x.notes.some((n) => /recheck failed/.test(n))), 'the pte recheck backs off');
});

test('rcu-free: what holds each verified row up (guards turned off one at a time)', () => {
  const mutated = (v: string, m: string) => {
    const s = byId(v);
    return check({ ...s, config: { ...s.config, mutations: [m] } });
  };
  // the fallback row goes through tlb_remove_table_one, whose IPI is what waits GUP-fast out
  const fb = mutated('arm64-batch-alloc-fails', 'smp_call_function_many:wait');
  assert.equal(fb.verdict, 'violated');
  assert.equal(fb.property, 'pt-uaf');
  assert.ok(fb.trace!.steps.some((x) => x.stack.includes('tlb_remove_table_one')));
  // x86: the flush IPI waiting for IRQ-off GUP-fast
  assert.equal(mutated('x86-64-ipi', 'smp_call_function_many:wait').property, 'pt-uaf');
  // arm64 with RCU table free: the IRQ-off region is the RCU read-side section
  assert.equal(mutated('arm64-rcu-table-free', 'gup_fast:irq_off').property, 'pt-uaf');
});

test('rcu-free/arm64-rcu-no-entry-recheck: without the rechecks the reference on the reused page is returned', () => {
  const s = byId('arm64-rcu-no-entry-recheck');
  const r = check(s);
  const t = r.trace!;
  assert.equal(t.violation.property, 'stale-reference');
  assert.match(t.violation.message, /returned page (\d+) .*freed and reallocated since GUP read its pte/);
  const P = Number(/returned page (\d+)/.exec(t.violation.message)![1]);
  const owner = t.steps.findIndex((x) => x.op === 'alloc' && x.read === P);
  const ref = t.steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${P}->_refcount` && x.read === true);
  assert.ok(owner >= 0 && ref > owner, "GUP-fast's add-unless-zero lands on the new owner's page");
  assert.deepEqual(replay(s.build(s.config), t.schedule).violation, t.violation);
});

test('explain names the kernel functions of the rcu-free race and fits a commit message', () => {
  const s = byId('arm64-no-rcu-table-free');
  const r = check(s);
  const table = renderTable(r.trace!);
  for (const fn of ['gup_fast_pmd_range', 'free_pte_range', '__flush_tlb_range', 'free_frozen_pages', 'PT-UAF'])
    assert.ok(table.includes(fn), `table mentions ${fn}`);
  const commit = commitMessage(r.trace!, { world: () => s.build(s.config) }).split('\n');
  for (const line of commit) assert.ok(line.length <= 72, `the commit format fits 72 columns: ${line}`);
});

test('rcu-free/pt-reclaim-fault: without the pmd recheck in pte_offset_map_lock the fault maps its page into the table MADV_DONTNEED freed', () => {
  const s = byId('pt-reclaim-fault');
  const config = { ...s.config, mutations: ['pte_offset_map_lock:pmd_recheck'] };
  const r = check({ ...s, config });
  assert.equal(r.verdict, 'violated');
  const t = r.trace!;
  assert.equal(t.violation.property, 'refcount');
  const P = Number(/^leak: folio (\d+) has refcount 1 but only 0 mappings/.exec(t.violation.message)![1]);
  const steps = t.steps;
  const pmdRead = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'pte_offset_map_lock' && x.op === 'load' && x.read !== 0);
  const table = Number(steps[pmdRead].read) >>> 12;
  const clear = steps.findIndex((x) => x.threadName === 'cpu1' && x.fn === 'try_get_and_clear_pmd' && x.op === 'store' && x.wrote === 0);
  const lock = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'spin_lock' && x.target === `page ${table}->ptl`);
  const map = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'do_anonymous_page' && x.op === 'store' && Number(x.wrote) >>> 12 === P);
  const free = steps.findIndex((x) => x.op === 'free' && x.target.includes(`frame ${table}`));
  assert.ok(pmdRead >= 0 && pmdRead < clear, 'the fault read the pmd before madvise cleared it');
  assert.ok(clear < lock && lock < map, 'it takes the pte lock of the detached table and maps its page there');
  assert.ok(map < free, 'then the RCU callback frees the table, with the page still mapped in it');
  assert.deepEqual(replay(s.build(config), t.schedule).violation, t.violation);
});
