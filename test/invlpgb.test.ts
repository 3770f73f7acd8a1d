/** The INVLPGB arch profiles (AMD broadcast TLB flush, v6.15+) and the x86-64 rows re-checked
 * under them: the flush sends no IPI, and the rows that rested on the flush IPI turn violated. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inKernelRange, kernelRangeWarning } from '../src/kernel/arch/arch.js';
import { ARCHES } from '../src/kernel/arch/index.js';
import { check } from '../src/explore/check.js';
import { Execution, type StepRecord } from '../src/explore/runtime.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import { invlpgb } from '../src/scenarios/invlpgb.js';
import { flipped, type Scenario } from '../src/scenarios/scenario.js';

const byId = (id: string) => invlpgb.find((s) => s.id === id)!;

for (const s of invlpgb) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = check(s);
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null);
    if (s.expect === 'verified') {
      assert.ok(s.flips, `${s.id}: a verified row states its flip`);
      assert.equal(check(flipped(s)).verdict, 'violated', `${s.id}: ${s.flips!.why}`);
    }
  });
}

/** Run the world with thread `first` preferred at every step (then the lowest enabled id). */
function sequential(s: Scenario, first: number): StepRecord[] {
  const exec = new Execution(s.build(s.config), true);
  while (exec.live) {
    const en = exec.enabled();
    if (en.length === 0) break;
    exec.step(en.includes(first) ? first : en[0]);
  }
  exec.finish();
  return exec.trace;
}

const flushSteps = (steps: StepRecord[]) => ({
  broadcast: steps.filter((x) => x.op === 'tlbi_broadcast').map((x) => x.fn),
  ipis: steps.filter((x) => x.op === 'ipi_send').map((x) => x.target),
});

test('x86-64-invlpgb: flush_tlb_mm_range is broadcast_tlb_flush (no IPI); the sync IPI of 2ba99c5e0881 stays an IPI', () => {
  const s = byId('collapse/x86-64-invlpgb-no-pmd-recheck');
  const f = flushSteps(sequential(s, 1)); // khugepaged first
  assert.deepEqual(f.broadcast, ['broadcast_tlb_flush']);
  assert.ok(f.ipis.length > 0 && f.ipis.every((t) => /^tlb_remove_table_smp_sync /.test(t)), `only the sync IPI: ${f.ipis}`);
  // the same scenario on x86-64-rcu (no INVLPGB): the flush is an IPI
  const rcu = flushSteps(sequential({ ...s, config: { ...s.config, arch: 'x86-64-rcu' } }, 1));
  assert.deepEqual(rcu.broadcast, []);
  assert.ok(rcu.ipis.some((t) => /^flush_tlb_func /.test(t)), `${rcu.ipis}`);
});

test('x86-64-invlpgb and -dyn-asid: reclaim\'s batched flush is invlpgb_flush_all_nonglobals, no IPI', () => {
  for (const id of ['reclaim/x86-64-invlpgb-no-pte-recheck', 'reclaim/x86-64-invlpgb-dyn-asid-no-pte-recheck']) {
    const f = flushSteps(sequential(byId(id), 1)); // kswapd first
    assert.deepEqual(f.broadcast, ['invlpgb_flush_all_nonglobals'], id);
    assert.deepEqual(f.ipis, [], id);
  }
});

test('x86-64-invlpgb-dyn-asid: an mm without a global ASID is still flushed by IPI (flush_tlb_mm_range)', () => {
  const s = byId('collapse/x86-64-invlpgb-no-pmd-recheck');
  const f = flushSteps(sequential({ ...s, config: { ...s.config, arch: 'x86-64-invlpgb-dyn-asid', patches: [...s.config.patches, '-khugepaged-sync-ipi'] } }, 1));
  assert.deepEqual(f.broadcast, []);
  assert.ok(f.ipis.some((t) => /^flush_tlb_func /.test(t)), `${f.ipis}`);
});

test('split/pte-mapped-x86-64-invlpgb-no-folio-recheck: the reference lands on the old head while the broadcast flush waits for nobody', () => {
  const t = check(byId('split/pte-mapped-x86-64-invlpgb-no-folio-recheck')).trace!;
  assert.equal(t.violation.property, 'refcount');
  const f = flushSteps(t.steps);
  assert.deepEqual(f.broadcast, ['invlpgb_flush_all_nonglobals']);
  assert.deepEqual(f.ipis, []);
  const head = Number(/folio (\d+) has refcount/.exec(t.violation.message)![1]);
  const flush = t.steps.findIndex((x) => x.op === 'tlbi_broadcast');
  const ref = t.steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === `page ${head}->_refcount`);
  const irqOff = t.steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'irq_disable');
  const irqOn = t.steps.findIndex((x, i) => i > irqOff && x.threadName === 'cpu0' && x.op === 'irq_enable');
  assert.ok(irqOff >= 0 && irqOff < flush && flush < irqOn, 'the splitter flushed while GUP-fast had IRQs off');
  assert.ok(ref > irqOff, 'the reference is taken by GUP-fast');
  assert.ok(t.preemptions > 0);
});

test('reclaim/x86-64-invlpgb-no-pte-recheck: GUP-fast returns the page reclaim freed and another owner got', () => {
  const t = check(byId('reclaim/x86-64-invlpgb-no-pte-recheck')).trace!;
  assert.equal(t.violation.property, 'stale-reference');
  assert.ok(t.steps.some((x) => x.threadName === 'cpu1' && x.op === 'tlbi_broadcast' && x.fn === 'invlpgb_flush_all_nonglobals'));
  assert.ok(t.steps.some((x) => x.threadName === 'cpu2' && x.stack.includes('another_owner') && x.op === 'alloc'));
  assert.deepEqual(flushSteps(t.steps).ipis, []);
});

test('collapse/x86-64-invlpgb-no-recheck-no-sync-ipi: GUP-fast pins the 4K page khugepaged copied', () => {
  const t = check(byId('collapse/x86-64-invlpgb-no-recheck-no-sync-ipi')).trace!;
  assert.equal(t.violation.property, 'stale-reference');
  assert.deepEqual(flushSteps(t.steps), { broadcast: ['broadcast_tlb_flush'], ipis: [] });
  assert.ok(t.steps.some((x) => x.threadName === 'cpu1' && x.fn === '__collapse_huge_page_copy'));
});

test('rcu-free/x86-64-invlpgb-no-rcu-table-free: GUP-fast reads the freed page table', () => {
  const t = check(byId('rcu-free/x86-64-invlpgb-no-rcu-table-free')).trace!;
  assert.equal(t.violation.property, 'pt-uaf');
  assert.ok(t.steps.some((x) => x.threadName === 'cpu0' && x.fn.startsWith('gup_fast')));
  assert.deepEqual(flushSteps(t.steps).ipis, []);
});

test('profiles state their range; the INVLPGB ones start at v6.15', () => {
  for (const a of Object.values(ARCHES)) {
    assert.match(a.kernels, /^(hypothetical|v\d+\.\d+\.\.(v\d+\.\d+)?)$/, a.name);
    assert.ok(a.cpu.length > 0, a.name);
  }
  const a = ARCHES['x86-64-invlpgb'];
  assert.equal(a.kernels, 'v6.15..');
  assert.ok(inKernelRange(a, 'v6.15') && inKernelRange(a, 'v6.18') && !inKernelRange(a, 'v6.14'));
  assert.ok(!inKernelRange(ARCHES['x86-64'], 'v6.15') && inKernelRange(ARCHES['x86-64'], 'v6.14'));
  assert.match(kernelRangeWarning(a, 'v6.1')!, /^kernel: v6\.1 is outside arch profile 'x86-64-invlpgb' range v6\.15\.\./);
  assert.equal(kernelRangeWarning(ARCHES['arm64-no-rcu-table-free'], 'v6.1'), null);
});

test('every INVLPGB row is in its profile range; the catalog rows outside theirs are the known ones', () => {
  for (const s of invlpgb) assert.ok(inKernelRange(ARCHES[s.config.arch], s.config.kernel), s.id);
  const outside = CATALOG.filter((s) => !inKernelRange(ARCHES[s.config.arch], s.config.kernel)).map((s) => s.id);
  // the pre-v6.15 bare-metal profile at v6.18: x86 frees tables through RCU from v6.15 (a37259732a7d)
  assert.deepEqual(outside, ['split/pmd-leaf-x86-64', 'split/pte-mapped-x86-64-no-folio-recheck']);
});
