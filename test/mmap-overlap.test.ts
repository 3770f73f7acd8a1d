/** The mmap-overlap family: verdicts, the orphan page tables counterexample, replay. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { Execution, replay } from '../src/explore/runtime.js';
import { mmapOverlap } from '../src/scenarios/mmap-overlap.js';

const byId = (v: string) => mmapOverlap.find((s) => s.variant === v)!;

for (const s of mmapOverlap) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null, 'the search must be exhaustive');
    if (s.expect === 'verified') assert.equal(r.trace, null);
  });
}

test('mmap-overlap/fault-no-detached-check: the stale reader locks the detached vma after mmap_write_unlock and faults a pte table back under it', () => {
  const s = byId('fault-no-detached-check');
  const r = check(s);
  const t = r.trace!;
  assert.equal(t.violation.property, 'orphan-page-tables');
  assert.match(t.violation.message, /populated by a fault on vma A, which is detached/);
  const steps = t.steps;
  const walk = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'lock_vma_under_rcu' && x.op === 'load' && x.read === 1 + 1);
  const detach = steps.findIndex((x) => x.fn === 'vma_mark_detached' && x.target === 'vma A->detached');
  const store = steps.findIndex((x) => x.threadName === 'cpu1' && x.fn === '__mmap_new_vma' && x.op === 'store' && x.target.startsWith('mm_mt slot'));
  const unlockSeq = steps.findIndex((x) => x.fn === 'vma_end_write_all' && x.op === 'store');
  const trylock = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === 'vma A->vm_lock');
  const populate = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'pmd_install' && x.op === 'store');
  assert.ok(walk >= 0 && walk < store, 'mas_walk found the old vma A before B was stored');
  assert.ok(detach < store && store < unlockSeq, 'A detached, B stored, then mmap_write_unlock ends the vma write locks');
  assert.ok(trylock > unlockSeq, 'only then does the reader read-lock A');
  assert.ok(populate > trylock, 'and pmd_populate installs a pte table under the detached vma');
  const again = replay(s.build(s.config), t.schedule);
  assert.deepEqual(again.violation, t.violation);
});

test('mmap-overlap/fault-detached-check: the reader retries and faults under the new vma', () => {
  const r = check(byId('fault-detached-check'));
  assert.equal(r.verdict, 'verified');
  assert.equal(r.cutAtBound, 0, 'the detached-retry loop bound is never reached');
});

test('mmap-overlap/gup-fast: GUP-fast pins first, MAP_FIXED then unmaps the page: user-initiated, so no stale reference', () => {
  const s = byId('gup-fast-arm64');
  const exec = new Execution(s.build(s.config), true);
  // lowest thread first: cpu0 (GUP-fast) runs to completion, then cpu1 and the RCU callback
  while (exec.live && exec.enabled().length) exec.step(Math.min(...exec.enabled()));
  exec.finish();
  assert.ok(exec.trace.some((x) => x.notes.some((n) => /^returns page \d+/.test(n))), 'GUP-fast returned the page');
  assert.ok(exec.trace.some((x) => x.fn === 'zap_pte_range' && x.op === 'xchg'), 'MAP_FIXED zapped the pinned page afterwards');
  assert.equal(exec.violation, null);
});

test('mmap-overlap/munmap-fault-no-detached-check: after munmap downgrades, the stale reader faults a pte table into the hole', () => {
  const s = byId('munmap-fault-no-detached-check');
  const r = check(s);
  const t = r.trace!;
  assert.equal(t.violation.property, 'orphan-page-tables');
  assert.match(t.violation.message, /which no vma covers/);
  const steps = t.steps;
  const hole = steps.findIndex((x) => x.fn === 'do_vmi_munmap' && x.op === 'store' && x.target.startsWith('mm_mt slot') && x.wrote === 0);
  const downgrade = steps.findIndex((x) => x.fn === 'vma_end_write_all' && x.op === 'store');
  const trylock = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === 'vma A->vm_lock');
  const populate = steps.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'pmd_install' && x.op === 'store');
  assert.ok(hole >= 0 && hole < downgrade && downgrade < trylock && trylock < populate);
  assert.deepEqual(replay(s.build(s.config), t.schedule).violation, t.violation);
});

test('mmap-overlap/two-faults-empty-pmd: without pmd_install\'s recheck the second fault overwrites the first one\'s pte table, losing its page', () => {
  const s = byId('two-faults-empty-pmd');
  const r = check({ ...s, config: { ...s.config, mutations: ['pmd_install:pmd_none_recheck'] } });
  assert.equal(r.verdict, 'violated');
  const t = r.trace!;
  assert.equal(t.violation.property, 'refcount');
  const P = Number(/^leak: folio (\d+) has refcount 1 but only 0 mappings/.exec(t.violation.message)![1]);
  const steps = t.steps;
  const noneRead = (cpu: string) => steps.findIndex((x) => x.threadName === cpu && x.fn === 'do_anonymous_page' && x.op === 'load' && x.read === 0);
  const populate = (cpu: string) => steps.findIndex((x) => x.threadName === cpu && x.fn === 'pmd_install' && x.op === 'store');
  const mapped = steps.findIndex((x) => x.fn === 'do_anonymous_page' && x.op === 'store' && x.wrote !== undefined && Number(x.wrote) >>> 12 === P);
  const first = populate('cpu0') < populate('cpu1') ? 'cpu0' : 'cpu1';
  const second = first === 'cpu0' ? 'cpu1' : 'cpu0';
  assert.ok(noneRead('cpu0') >= 0 && noneRead('cpu1') >= 0, 'both faults read the pmd as none');
  assert.ok(noneRead(second) < populate(first), 'the second read it before the first populated it');
  assert.ok(populate(first) < mapped && mapped < populate(second), 'the first fault maps its page into its table, then the second overwrites the pmd');
  assert.equal(steps[mapped].threadName, first);
  assert.deepEqual(replay(s.build({ ...s.config, mutations: ['pmd_install:pmd_none_recheck'] }), t.schedule).violation, t.violation);
});
