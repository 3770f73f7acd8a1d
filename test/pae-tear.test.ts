/** The pae-tear family: verdicts, the shape of the torn read, the "same value mod 4GB" exhibit,
 * two-load reads, oracle 4 on a bad pmd, the second zap in the recheck, and the flips. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { explore } from '../src/explore/dpor.js';
import { replay } from '../src/explore/runtime.js';
import { preemptions } from '../src/explore/minimize.js';
import { HIGH_FRAME_BASE, PFN_4G, PGD, PMD, _PAGE_NX, _PAGE_RW, _PAGE_USER, entryPfn, frameOfPfn, hi32, join64, lo32, mkEntry, pfnOfFrame } from '../src/machine/mmu.js';
import type { Arch } from '../src/kernel/arch/arch.js';
import type { Ctx } from '../src/kernel/kernel.js';
import { get_and_clear, mk_huge_pmd, pmd_bad, pmd_none, set_entry, tableEntry } from '../src/kernel/mm/pgtable.js';
import { none_or_clear_bad } from '../src/kernel/mm/pagewalk.js';
import { type Scenario, flipped } from '../src/scenarios/scenario.js';
import { x86_32_pae, x86_32_pae_torn_observed } from '../src/kernel/arch/x86_32_pae.js';
import { boot, entryFor, mapAnonSmall, reserveFreeFramesExcept } from '../src/kernel/boot.js';
import { FOLL_PIN, FOLL_WRITE, gup_fast_fallback } from '../src/kernel/mm/gup.js';
import { zap_page_range_single } from '../src/kernel/mm/memory.js';
import { do_user_addr_fault } from '../src/kernel/mm/mmap.js';
import { initVmaTree } from '../src/kernel/mm/vma_tree.js';
import { resolvePatches } from '../src/kernel/patches.js';
import { PAE_GEOMETRY, buildPte, paeTear, paeTearProbes } from '../src/scenarios/pae-tear.js';
import { makeWorld } from '../src/scenarios/world.js';

const byId = (v: string) => paeTear.find((s) => s.id === `pae-tear/${v}`)!;
const memo = new Map<string, ReturnType<typeof check>>();
/** Each row checked once, when a test first needs it (run a subset with --test-name-pattern). */
const results = { get: (id: string) => memo.get(id) ?? memo.set(id, check([...paeTear, ...paeTearProbes].find((s) => s.id === id)!)).get(id) };

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

// ---------------------------------------------------------------- two-load reads (issue 11 §4)

/** The trace of thread `tid` run alone to its end (no other thread steps). */
function runAlone(build: () => ReturnType<Scenario['build']>, tid: number) {
  const schedule: number[] = [];
  for (;;) {
    try {
      replay(build(), [...schedule, tid]);
    } catch {
      break;
    }
    schedule.push(tid);
  }
  return replay(build(), schedule);
}

test('x86-32 PAE: GUP-fast\'s pte recheck ptep_get(ptep) is two 32-bit loads, low then high (and its pmd recheck too)', () => {
  const s = byId('pte-lockless-refault');
  const e = runAlone(() => s.build(s.config), 0);
  assert.equal(e.violation, null);
  const t = e.trace;
  const grab = t.findIndex((x) => x.op === 'add_unless' && x.read === true);
  assert.ok(grab > 0, 'GUP-fast took its reference');
  const after = t.slice(grab + 1).filter((x) => x.fn === 'gup_fast_pte_range' && x.op === 'load');
  const pmd = after.filter((x) => /^pmd\[/.test(x.target));
  const pte = after.filter((x) => /^pte\[/.test(x.target));
  assert.deepEqual(pmd.map((x) => x.target.includes('.hi')), [false, true], 'the pmd recheck: low word, then high word');
  assert.deepEqual(pte.map((x) => x.target.includes('.hi')), [false, true], 'the pte recheck: low word, then high word');
  assert.ok(pmd[1].index < pte[0].index, 'pmd recheck before pte recheck');
  const pgd = t.filter((x) => x.fn === 'gup_fast_pgd_range' && x.op === 'load');
  assert.deepEqual(pgd.map((x) => x.target.includes('.hi')), [false, true], "GUP-fast's READ_ONCE(*pgdp): two loads");
});

// ---------------------------------------------------------------- oracle 4 on a bad pmd

/** A pmd that points at a pte table (below 4 GB, high word 0); CPU 0 runs pmd_none_or_clear_bad on
 * it while CPU 1 clears it and installs a huge pmd with NX (high word non-zero): the second read
 * can assemble (the table's low word, NX): not none, and bad. */
function badPmdWorld(arch: Arch) {
  return () => {
    const k = boot({ arch, patches: resolvePatches('v6.6'), cpus: 2, mmCpus: [0, 1], frames: HIGH_FRAME_BASE + 8, geometry: PAE_GEOMETRY });
    const start = k.machine.geometry.size(PMD);
    const [page] = mapAnonSmall(k, start, 1);
    // the walker may clear the pmd and unmap this page: its count is not this test's question
    k.ghost.held.push({ pfn: page, refs: 1, who: 'the pte table the test detaches' });
    const mem = k.machine.mem;
    const pgdEntry = entryFor(k, start, PGD);
    const pmdFrame = entryPfn(mem.read(pgdEntry, 2));
    const huge = mk_huge_pmd(mem.pick(0), _PAGE_RW | _PAGE_USER) + _PAGE_NX;
    const pmdp = (c: Ctx) => tableEntry(c, PMD, pmdFrame, mem.gen[pmdFrame], start);
    return makeWorld(k, [
      { name: 'cpu0', cpu: 0, run: (c) => none_or_clear_bad(c, pmdp(c)) },
      {
        name: 'cpu1',
        cpu: 1,
        run: function* (c) {
          yield* get_and_clear(c, pmdp(c));
          yield* set_entry(c, pmdp(c), huge);
        },
      },
    ]);
  };
}

for (const [arch, where] of [[x86_32_pae, 'at the read'], [x86_32_pae_torn_observed, 'at pmd_clear_bad']] as const) {
  test(`oracle 4 on a torn pmd that is not none but bad (${arch.name}): caught ${where}, at the high-word load`, () => {
    const r = explore(badPmdWorld(arch), { reduction: 'optimal' });
    assert.equal(r.verdict, 'violated');
    const v = r.found!.violation;
    assert.equal(v.property, 'torn-value');
    const e = replay(badPmdWorld(arch)(), r.found!.schedule);
    const s = e.trace;
    const reads = s.filter((x) => x.threadName === 'cpu0' && x.op === 'load' && /^pmd\[/.test(x.target));
    assert.equal(reads.length, 4, 'pmd_none(*pmd), then pmd_bad(*pmd): two loads each');
    const [, , lo, hi] = reads;
    const xchg = s.findIndex((x) => x.threadName === 'cpu1' && x.op === 'xchg' && /^pmd\[/.test(x.target) && x.wrote === 0);
    const set = s.findIndex((x, i) => i > xchg && x.threadName === 'cpu1' && x.op === 'xchg' && /^pmd\[/.test(x.target));
    assert.ok(lo.index < xchg && xchg < set && set < hi.index, 'low word of the table pmd; clear; huge pmd installed; high word of the huge pmd');
    assert.ok((hi.read as number) > 0, 'the high word carries NX');
    assert.equal(v.step, hi.index, 'detected at the load that completes the torn value');
    const torn = join64(lo.read as number, hi.read as number);
    assert.ok(!pmd_none(torn) && pmd_bad(torn), 'the torn value is not none, and bad');
    if (arch === x86_32_pae) assert.match(v.message, /READ_ONCE\(\*pmdp\).*never stored together/);
    else {
      assert.match(v.message, /^cpu0: pmd_clear_bad acts on 0x[0-9a-f]+ at pmd\[.*never stored whole/);
      assert.ok(r.observed.has('torn-value'), 'the torn read itself was only observed: the walker went on to pmd_bad and pmd_clear_bad');
    }
  });
}

// ---------------------------------------------------------------- the row the one-load recheck hid

/**
 * The probe's exhaustive search does not finish in a test's time (naive enumeration under two
 * preemptions passes 300,000 executions without reaching it), so this test drives it: the
 * same-low-refault-high counterexample up to its torn read, then GUP-fast to its recheck's low
 * load, then the refaulting CPU up to its second zap, then the recheck's high load. The oracle,
 * not the test, judges the result.
 */
function secondZapExecution() {
  const probe = paeTearProbes.find((x) => x.id === 'pae-tear/pte-recheck-second-zap')!;
  const base = results.get('pae-tear/pte-lockless-same-low-refault-high')!.trace!;
  const build = () => probe.build(probe.config);
  const schedule = base.schedule.slice(0, base.violation.step + 1);
  const recheckLow = () => {
    const e = replay(build(), schedule);
    const last = e.trace.at(-1)!;
    return last.threadName === 'cpu0' && last.fn === 'gup_fast_pte_range' && last.op === 'load' && /^pte\[\d+\] /.test(last.target);
  };
  while (!recheckLow()) schedule.push(0);
  for (;;) {
    schedule.push(2);
    const last = replay(build(), schedule).trace.at(-1)!;
    if (last.op === 'xchg' && /^pte\[/.test(last.target)) break;
  }
  schedule.push(0);
  return { exec: replay(build(), schedule), schedule, build };
}

test('pae-tear/pte-recheck-second-zap: a second zap between the recheck\'s two loads makes it pass on the torn pte', () => {
  const { exec, schedule, build } = secondZapExecution();
  const t = { steps: exec.trace, violation: exec.violation!, preemptions: preemptions(build, schedule) };
  assert.ok(exec.violation, 'the oracle fires');
  assert.equal(t.violation.property, 'torn-value');
  assert.ok(t.preemptions >= 1);
  const s = t.steps;
  // the torn read, tolerated by this row's profile: ptep_get_lockless accepted (l, 0)
  const lockless = s.filter((x) => x.threadName === 'cpu0' && x.fn === 'ptep_get_lockless' && x.op === 'load');
  const [, hi1, lo2] = lockless.slice(-3);
  assert.equal(hi1.read, 0);
  const grab = s.findIndex((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.target === 'page 3->_refcount' && x.read === true);
  assert.ok(grab > lo2.index, 'GUP-fast try-gets page 3, which neither pte mapped');
  const recheck = s.filter((x, i) => i > grab && x.threadName === 'cpu0' && x.fn === 'gup_fast_pte_range' && x.op === 'load' && /^pte\[/.test(x.target));
  assert.equal(recheck.length, 2, 'the pte recheck: two loads');
  const [rlo, rhi] = recheck;
  assert.ok(!rlo.target.includes('.hi') && rhi.target.includes('.hi'));
  const zaps = s.filter((x) => x.op === 'xchg' && /^pte\[/.test(x.target) && x.wrote === 0);
  assert.equal(zaps.length, 2, 'two zaps');
  assert.equal(zaps[0].threadName, 'cpu1');
  assert.equal(zaps[1].threadName, 'cpu2', 'the second zap is the refaulting CPU\'s MADV_DONTNEED');
  assert.ok(rlo.index < zaps[1].index && zaps[1].index < rhi.index, 'the second zap lands between the recheck\'s low and high loads');
  assert.equal(rlo.read, lo2.read, 'the recheck\'s low word is the refault\'s, equal to the torn one');
  assert.equal(rhi.read, 0, 'its high word is the second zap\'s 0');
  assert.equal(t.violation.step, rhi.index);
  assert.match(t.violation.message, /recheck.*equal to the torn value.*points at pfn 0x3\b/);
});


test('pae-tear flips: each verified row turns violated under its flip', () => {
  for (const s of paeTear.filter((x) => x.expect === 'verified')) {
    assert.ok(s.flips, `${s.id} states its flip`);
    const r = check(flipped(s), { noMinimize: true });
    assert.equal(r.verdict, 'violated', s.id);
  }
});
