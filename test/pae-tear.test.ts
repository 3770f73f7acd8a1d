/** The pae-tear family: verdicts, the shape of the torn read, and the "same value mod 4GB" exhibit. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { explore } from '../src/explore/dpor.js';
import { replay } from '../src/explore/runtime.js';
import { HIGH_FRAME_BASE, PFN_4G, entryPfn, frameOfPfn, hi32, lo32, mkEntry, pfnOfFrame } from '../src/machine/mmu.js';
import { x86_32_pae, x86_32_pae_torn_observed } from '../src/kernel/arch/x86_32_pae.js';
import { boot, mapAnonSmall, reserveFreeFramesExcept } from '../src/kernel/boot.js';
import { FOLL_PIN, FOLL_WRITE, gup_fast_fallback } from '../src/kernel/mm/gup.js';
import { zap_page_range_single } from '../src/kernel/mm/memory.js';
import { do_user_addr_fault } from '../src/kernel/mm/mmap.js';
import { initVmaTree } from '../src/kernel/mm/vma_tree.js';
import { resolvePatches } from '../src/kernel/patches.js';
import { PAE_GEOMETRY, buildPte, paeTear } from '../src/scenarios/pae-tear.js';
import { makeWorld } from '../src/scenarios/world.js';

const byId = (v: string) => paeTear.find((s) => s.id === `pae-tear/${v}`)!;
const results = new Map(paeTear.map((s) => [s.id, check(s)]));

for (const s of paeTear) {
  test(`${s.id}: ${s.expect}`, () => {
    const r = results.get(s.id)!;
    assert.equal(r.verdict, s.expect);
    assert.equal(r.budget, null, 'the search must be exhaustive');
    assert.equal(r.cutAtBound, 0, 'no execution reaches the retry bound');
    if (s.expect === 'verified') assert.equal(r.trace, null);
  });
}

test('frames above 4 GB: frame HIGH_FRAME_BASE + i has pfn 2^20 + i and the low word of frame i', () => {
  for (const f of [0, 3, 63, HIGH_FRAME_BASE, HIGH_FRAME_BASE + 5]) assert.equal(frameOfPfn(pfnOfFrame(f)), f);
  assert.equal(pfnOfFrame(HIGH_FRAME_BASE + 3), PFN_4G + 3);
  const low = mkEntry(3, 0x67), high = mkEntry(HIGH_FRAME_BASE + 3, 0x67);
  assert.equal(lo32(low), lo32(high));
  assert.equal(hi32(low), 0);
  assert.equal(hi32(high), 1);
  assert.equal(entryPfn(high), HIGH_FRAME_BASE + 3);
});

test('pae-tear/pmd-plain-read: GUP-fast reads the pmd low word, munmap clears low then high, GUP-fast reads high = 0', () => {
  const t = results.get('pae-tear/pmd-plain-read')!.trace!;
  assert.equal(t.violation.property, 'torn-value');
  const s = t.steps;
  const isPmd = (x: (typeof s)[number], half: 'lo' | 'hi') => /^pmd\[\d+\]/.test(x.target) && x.target.includes('.hi') === (half === 'hi');
  const loRead = s.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pmd_range' && x.op === 'load' && isPmd(x, 'lo'));
  const hiRead = s.findIndex((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pmd_range' && x.op === 'load' && isPmd(x, 'hi'));
  const clearLo = s.findIndex((x) => x.fn === 'native_pmd_clear' && x.op === 'store' && isPmd(x, 'lo'));
  const clearHi = s.findIndex((x) => x.fn === 'native_pmd_clear' && x.op === 'store' && isPmd(x, 'hi'));
  assert.ok(loRead >= 0 && clearLo > loRead && clearHi > clearLo && hiRead > clearHi, 'lo read, clear lo, clear hi, hi read');
  assert.equal(s[clearLo].wrote, 0);
  assert.equal(s[hiRead].read, 0, 'the high word read is the cleared one');
  const lo = s[loRead].read as number;
  assert.ok(lo & 1, 'the low word read is the old, present one');
  // the old pmd pointed at a pte table above 4 GB; the torn value drops its high word
  const old = Number(/whole values stored there: (0x[0-9a-f]+)/.exec(t.violation.message)![1]);
  assert.ok(entryPfn(old) >= HIGH_FRAME_BASE, 'the pte table was above 4 GB');
  assert.equal(lo32(old), lo);
  assert.notEqual(hi32(old), 0);
  assert.match(t.violation.message, new RegExp(`read 0x${lo.toString(16)} at pmd\\[.*low word 0x${lo.toString(16)} and high word 0x0`));
  assert.match(t.violation.message, /points at pfn 0x[0-9a-f]+ \(frame \d+, data\)/, 'the torn pmd points at the data page as if it were a pte table');
  assert.equal(hiRead, t.violation.step, 'detected at the read that completes the torn value');
  assert.equal(t.preemptions, 1, 'minimal: one preemption');
});

test('pae-tear/pmd-plain-read: the counterexample replays to the same violation', () => {
  const s = byId('pmd-plain-read');
  const t = results.get(s.id)!.trace!;
  const again = replay(s.build(s.config), t.schedule);
  assert.deepEqual(again.violation, t.violation);
  assert.deepEqual(again.trace.map((x) => [x.threadName, x.op, x.target, x.read, x.wrote]), t.steps.map((x) => [x.threadName, x.op, x.target, x.read, x.wrote]));
});

test('pae-tear/pte-lockless-refault: no exhibit when the refill has a different low word', () => {
  assert.deepEqual(results.get('pae-tear/pte-lockless-refault')!.observations, []);
});

test('pae-tear/pte-lockless-same-low-refault: the retry accepts low from the old pte and high from the new one, which is the new pte whole', () => {
  const r = results.get('pae-tear/pte-lockless-same-low-refault')!;
  const o = r.observations.find((x) => x.kind === 'pae-same-low-word');
  assert.ok(o, 'the exhibit is reported');
  assert.equal(r.trace, null, 'and it is not a violation');
  const s = o.trace.steps;
  // the accepted iteration of ptep_get_lockless: lo, hi, lo with the same low word
  const reads = s.filter((x) => x.threadName === 'cpu0' && x.fn === 'ptep_get_lockless' && x.op === 'load');
  const last = reads.slice(-3);
  const [lo1, hi, lo2] = last;
  assert.ok(!lo1.target.includes('.hi') && hi.target.includes('.hi') && !lo2.target.includes('.hi'));
  assert.equal(lo1.read, lo2.read);
  const zap = s.findIndex((x) => x.threadName === 'cpu1' && x.op === 'xchg' && /^pte\[/.test(x.target));
  const setHi = s.findIndex((x) => x.fn === 'native_set_pte' && x.op === 'store' && x.target.includes('.hi'));
  const setLo = s.findIndex((x) => x.fn === 'native_set_pte' && x.op === 'store' && !x.target.includes('.hi'));
  assert.ok(lo1.index < zap && zap < setHi && setHi < hi.index, 'lo read from the old pte; zap; the refault writes high; high read');
  assert.ok(setLo < lo2.index, 'the refault wrote the same low word before the recheck');
  const oldPte = s[zap].read as number;
  const newPte = Number(/accepted (0x[0-9a-f]+)/.exec(o.message)![1]);
  assert.equal(lo32(oldPte), lo1.read);
  assert.equal(lo32(newPte), lo1.read);
  assert.equal(hi32(newPte), hi.read);
  assert.notEqual(hi32(oldPte), hi32(newPte), 'the high word changed under the retry loop');
  assert.equal(entryPfn(newPte) - HIGH_FRAME_BASE, entryPfn(oldPte), 'the new page is the old one plus 4 GB');
});

test('oracle 4 is not vacuous: ptep_get_lockless without the low re-read tears across the zap and refault', () => {
  // A mutation, not kernel history: the pte-lockless-refault world with the PAE reader's retry
  // removed (ptep_get_lockless = the plain two-load read).
  const noRetry = { ...x86_32_pae, name: 'x86-32-pae-no-retry', get_lockless: x86_32_pae.plain_read };
  const s = {
    ...byId('pte-lockless-refault'),
    build: () => {
      const k = boot({ arch: noRetry, patches: resolvePatches('v6.6'), cpus: 3, mmCpus: [0, 1, 2], frames: HIGH_FRAME_BASE + 8, geometry: PAE_GEOMETRY });
      const start = k.machine.geometry.size(2);
      mapAnonSmall(k, start, 1);
      initVmaTree(k, [{ name: 'A', start, end: start + 4096, mapped: true }]);
      reserveFreeFramesExcept(k, [HIGH_FRAME_BASE]);
      return makeWorld(k, [
        { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE) },
        { name: 'cpu1', cpu: 1, run: (c) => zap_page_range_single(c, start, 4096) },
        { name: 'cpu2', cpu: 2, run: (c) => do_user_addr_fault(c, start) },
      ]);
    },
  };
  const r = check(s, { noMinimize: true });
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'torn-value');
  assert.match(r.trace!.violation.message, /pte\[0\].*never stored together/);
});

test('pae-tear/pte-lockless-same-low-refault-high: the retry accepts (old low, cleared high), a page at the old address mod 4 GB', () => {
  const t = results.get('pae-tear/pte-lockless-same-low-refault-high')!.trace!;
  assert.equal(t.violation.property, 'torn-value');
  const s = t.steps;
  const reads = s.filter((x) => x.threadName === 'cpu0' && x.fn === 'ptep_get_lockless' && x.op === 'load');
  const [lo1, hi, lo2] = reads.slice(-3);
  const zap = s.findIndex((x) => x.threadName === 'cpu1' && x.op === 'xchg' && /^pte\[/.test(x.target));
  const setHi = s.findIndex((x) => x.fn === 'native_set_pte' && x.op === 'store' && x.target.includes('.hi'));
  const setLo = s.findIndex((x) => x.fn === 'native_set_pte' && x.op === 'store' && !x.target.includes('.hi'));
  assert.ok(lo1.index < zap && zap < hi.index && hi.index < setHi && setHi < setLo && setLo < lo2.index,
    'low read from the old pte; zap; high read from the cleared pte; the refault writes high then the same low; low re-read');
  assert.equal(hi.read, 0);
  assert.equal(lo1.read, lo2.read);
  const oldPte = s[zap].read as number;
  assert.ok(hi32(oldPte) >= 1 && (s[setHi].wrote as number) > hi32(oldPte), 'both pages above 4 GB, in different 4 GB banks');
  assert.equal(lo2.index, t.violation.step);
  assert.match(t.violation.message, /ptep_get_lockless read 0x[0-9a-f]+ at pte\[0\].*high word 0x0.*points at pfn 0x3 \(frame 3, data\)/);
});

test('pae-tear/pte-lockless-same-low-refault-high: the counterexample replays', () => {
  const s = byId('pte-lockless-same-low-refault-high');
  const t = results.get(s.id)!.trace!;
  const again = replay(s.build(s.config), t.schedule);
  assert.deepEqual(again.violation, t.violation);
});

test('what GUP-fast does with the torn pte: try-gets the other owner\'s page, fails its pte recheck and drops it', () => {
  const base = byId('pte-lockless-same-low-refault-high');
  const s = { ...base, build: buildPte((p) => HIGH_FRAME_BASE + p, HIGH_FRAME_BASE + 3, x86_32_pae_torn_observed) };
  const r = check(s);
  assert.equal(r.verdict, 'verified', 'no stale reference, no refcount imbalance at the end');
  const o = r.observations.find((x) => x.kind === 'torn-value');
  assert.ok(o, 'the torn read is still reachable');
  const steps = o.trace.steps;
  const grab = steps.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === 'page 3->_refcount' && x.read === true);
  assert.ok(grab >= 0, 'GUP-fast takes a reference on page 3, which neither pte ever mapped');
  const recheck = steps.findIndex((x, i) => i > grab && x.notes.some((n) => /recheck failed/.test(n)));
  assert.ok(recheck > grab, 'its pte recheck fails');
  assert.ok(steps.some((x, i) => i > recheck && x.threadName === 'cpu0' && x.target === 'page 3->_refcount' && x.op === 'add' && (x.wrote as number) === 1),
    'and it drops the reference: the other owner\'s count is back to 1');
});

test('naive enumeration (up to 2 preemptions) agrees with DPOR on the pmd rows', () => {
  for (const v of ['pmd-plain-read', 'pmd-lockless']) {
    const s = byId(v);
    const r = explore(() => s.build(s.config), { reduction: 'none', preemptionBound: 2 });
    assert.equal(r.verdict, s.expect, v);
    if (s.expect === 'violated') assert.equal(r.found!.violation.property, 'torn-value');
  }
});
