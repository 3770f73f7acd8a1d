/**
 * x86-32 with PAE (arch/x86/include/asm/pgtable-3level.h; include/linux/pgtable.h under
 * CONFIG_GUP_GET_PXX_LOW_HIGH, which x86 selects for X86_PAE). Entries are 64 bits wide but
 * the CPU loads and stores 32 bits at a time unless the code uses cmpxchg8b. The low word
 * (flags, present bit, pfn bits 0..19) is at the entry's address, the high word (pfn bits
 * 20..35, NX) at address + 1.
 *
 * Readers:
 *   - ptep_get_lockless / pmdp_get_lockless (2a4a06da8a4b v5.11 for ptes, ex x86 gup_get_pte
 *     since 2008; 024d232ae4fc v6.2 for pmds): do { lo; smp_rmb; hi; smp_rmb } while (lo != *lo).
 *     The retry is bounded here (PAE_LOCKLESS_RETRIES); past it the execution is cut (LoopBound).
 *   - every plain `*p` and every READ_ONCE / ptep_get / pmdp_get of a 64-bit entry: two 32-bit
 *     loads with no barrier and no retry. READ_ONCE is a volatile 8-byte access, which
 *     compiletime_assert_rwonce_type admits for `long long` on 32-bit, and i386 has no 8-byte
 *     integer load. Examples: GUP-fast's `pmd_t pmd = READ_ONCE(*pmdp)` before "mm/gup: Fix the
 *     lockless PMD access" (v6.2); its pte recheck `pte_val(pte) != pte_val(ptep_get(ptep))` and
 *     pmd recheck (pmdp_get) to this day; `pgd_t pgd = READ_ONCE(*pgdp)`. Which half the
 *     compiler loads first is not fixed; the model loads low then high, the order of the
 *     kernel's own PAE readers (ptep_get_lockless, pmd_read_atomic, the pre-2018
 *     native_ptep_get_and_clear) and of gcc's usual lowering (ascending addresses). With high
 *     first, the tears differ (e.g. a pmd_populate into a none pmd would tear instead of a
 *     pmd_clear). Not explored.
 * Writers (the memo /work/notes/pae-pagewalk-mmap.md §1a, read from the kernel source):
 *   - set_pte (native_set_pte): high, smp_wmb, low.
 *   - pte_clear / pmd_clear (native_pte_clear / native_pmd_clear): low = 0, smp_wmb, high = 0.
 *   - set_pmd / pmd_populate / set_pmd_at (native_set_pmd: set_64bit, later pxx_xchg64): an
 *     atomic 64-bit cmpxchg8b loop; modeled as one atomic 64-bit exchange (its seed load and
 *     retry only decide how often cmpxchg8b runs, not what other CPUs can see).
 *   - ptep_get_and_clear (SMP, since the 2018 "x86/pae: use 64 bit atomic xchg function in
 *     native_ptep_get_and_clear"): pxx_xchg64(.., 0), one atomic 64-bit exchange: the generic
 *     get_and_clear of src/kernel/mm/pgtable.ts. The pre-2018 form (xchg low, read high, store
 *     high = 0) is not modeled.
 * TLB flush: by IPI with the flusher waiting, as on x86-64; page tables are freed right after
 * the flush (no CONFIG_MMU_GATHER_RCU_TABLE_FREE on bare-metal x86 before v6.15).
 * Memory is sequentially consistent, so smp_rmb/smp_wmb are the program order they enforce.
 *
 * Oracle 4 (torn value) lives in the readers: the value a lockless reader assembles from two
 * halves must be one that was stored whole at that address (Machine.wholeValues: every atomic
 * 64-bit store/xchg/cmpxchg, every half-wise writer's intended value, and the initial state).
 * A torn value that is not present is noted, not flagged at the read: GUP-fast tests the
 * present bit (in the low word) first and backs off, which is the kernel comment's argument
 * ("lo will not have the present bit set unless it is the real thing"). A walker that acts on
 * such a value otherwise, e.g. pmd_clear_bad on a torn pmd that pmd_none rejects and pmd_bad
 * accepts, is caught where it acts (actsOn, src/kernel/mm/pgtable.ts).
 * A plain read used only to compare with an earlier value (a recheck) is not checked at the
 * read: a torn value never equals a value that was stored whole, so the recheck backs off. It
 * can equal a torn value the walker went on with (only in the observe-only test profile, where
 * the first torn read is not a violation): then the recheck passes on a value never stored
 * whole, and that is the violation.
 */
import { LoopBound, type Program, Violation } from '../../machine/effects.js';
import { describeUse } from '../../machine/machine.js';
import { LEVEL_NAMES, PAGE_SIZE, entryPfn, hi32, join64, lo32, present } from '../../machine/mmu.js';
import { symbol } from '../introspect.js';
import { guarded } from '../guards.js';
import { type Ctx, kfunc, note, observe } from '../kernel.js';
import { remember, type TablePtr } from '../mm/pgtable.js';
import type { Arch } from './arch.js';
import { x86_64 } from './x86_64.js';

/** How many times the low/high/low loop may retry before the execution is cut. */
export const PAE_LOCKLESS_RETRIES = 3;

const hex = (v: number): string => '0x' + v.toString(16);

function* half(p: TablePtr, which: 'lo' | 'hi'): Program<number> {
  const check = { frame: p.frame, gen: p.gen, level: p.level };
  return (yield { op: 'load', addr: which === 'lo' ? p.addr : p.addr + 1, width: 1, check, follow: p.level > 1 }) as number;
}

function* halfStore(p: TablePtr, which: 'lo' | 'hi', value: number): Program<void> {
  const check = { frame: p.frame, gen: p.gen, level: p.level };
  yield { op: 'store', addr: which === 'lo' ? p.addr : p.addr + 1, width: 1, value, check };
}

/** Oracle 4 on a value assembled from two halves (ghost; no step). With `observeOnly` (a test
 * variant, not a catalog profile) a torn present value is recorded as an observation and the
 * walker goes on with it, to see what it does next. */
function* tornCheck(k: Ctx, p: TablePtr, fn: string, lo: number, hi: number, observeOnly = false): Program<number> {
  const v = join64(lo, hi);
  const m = k.kernel.machine;
  if (!m.storedWhole(p.addr, v)) {
    const where = symbol(k.kernel, p.addr);
    const stored = [...(m.wholeValues.get(p.addr) ?? [m.mem.read(p.addr, 2)])].map(hex).join(', ');
    if (present(v)) {
      const f = entryPfn(v);
      const target = f < m.mem.frames ? `frame ${f}, ${describeUse(m.mem.use[f])}` : 'no frame of the machine';
      const V = new Violation(
        'torn-value',
        `${fn} read ${hex(v)} at ${where}: low word ${hex(lo)} and high word ${hex(hi)} were never stored together ` +
          `(whole values stored there: ${stored}); it points at pfn ${hex(Math.floor(v / PAGE_SIZE))} (${target})`,
      );
      if (!observeOnly) throw V;
      observe(k, 'torn-value', V.message);
      k.torn.set(p.addr, v);
      yield* note(`torn value ${hex(v)} accepted (observe-only variant)`);
      remember(k, p.level, v);
      return v;
    }
    yield* note(`torn value ${hex(v)} (low ${hex(lo)}, high ${hex(hi)}) is not present: the walker backs off`);
  }
  remember(k, p.level, v);
  return v;
}

/** ptep_get_lockless / pmdp_get_lockless, CONFIG_GUP_GET_PXX_LOW_HIGH form. The guard
 * 'pxx_get_lockless:low_recheck' off: no re-read of the low word (a plain two-load read). */
const get_lockless_low_high = (name: string, observeOnly = false) =>
  kfunc(name, function* (k: Ctx, p: TablePtr): Program<number> {
    const mem = k.kernel.machine.mem;
    for (let tries = 0; ; tries++) {
      if (tries > PAE_LOCKLESS_RETRIES) throw new LoopBound(name);
      const lo = yield* half(p, 'lo');
      const atLo = mem.read(p.addr, 2); // ghost: the whole entry when the low word was read
      // smp_rmb()
      const hi = yield* half(p, 'hi');
      if (!guarded(k, 'pxx_get_lockless:low_recheck')) return yield* tornCheck(k, p, name, lo, hi, observeOnly);
      // smp_rmb()
      const again = yield* half(p, 'lo');
      if (again !== lo) {
        yield* note(`low word changed (${hex(lo)} -> ${hex(again)}): retry`);
        continue;
      }
      const v = yield* tornCheck(k, p, name, lo, hi, observeOnly);
      if (present(v) && v !== atLo)
        observe(
          k,
          'pae-same-low-word',
          `${name} accepted ${hex(v)} at ${symbol(k.kernel, p.addr)}: the low word ${hex(lo)} was first read while the entry ` +
            `held ${hex(atLo)}; the entry then changed and came back to the same low word with high word ${hex(hi)} ` +
            `(a page at the same address mod 4 GB). The result is the new entry, stored whole and in memory at the ` +
            `recheck: a changed entry, not a torn one`,
        );
      return v;
    }
  });

const ptep_get_lockless = get_lockless_low_high('ptep_get_lockless');
const pmdp_get_lockless = get_lockless_low_high('pmdp_get_lockless');

/** A plain `*p` or READ_ONCE of a 64-bit entry: two 32-bit loads, low then high, no retry. */
const plain_read_of = (observeOnly: boolean) =>
  function* (k: Ctx, p: TablePtr, use?: 'compare'): Program<number> {
    const lo = yield* half(p, 'lo');
    const hi = yield* half(p, 'hi');
    const fn = `READ_ONCE(*${LEVEL_NAMES[p.level]}p) (two 32-bit loads)`;
    if (use !== 'compare') return yield* tornCheck(k, p, fn, lo, hi, observeOnly);
    const v = join64(lo, hi);
    if (k.torn.get(p.addr) === v && !k.kernel.machine.storedWhole(p.addr, v))
      throw new Violation(
        'torn-value',
        `${fn} at ${symbol(k.kernel, p.addr)}, a recheck, read low word ${hex(lo)} and high word ${hex(hi)}: ${hex(v)}, ` +
          `equal to the torn value the walker went on with, so the recheck passes on a value never stored whole ` +
          `and the walker keeps what it derived from it (it points at pfn ${hex(Math.floor(v / PAGE_SIZE))})`,
      );
    return v;
  };
const plain_read = plain_read_of(false);

/** native_set_pte: high word, smp_wmb, low word. */
const native_set_pte = kfunc('native_set_pte', function* (k: Ctx, p: TablePtr, v: number): Program<void> {
  k.kernel.machine.recordWhole(p.addr, v);
  yield* halfStore(p, 'hi', hi32(v));
  yield* halfStore(p, 'lo', lo32(v));
});

/** native_set_pmd (set_pmd_at, pmd_populate): pxx_xchg64, one atomic 64-bit exchange. */
const native_set_pmd = kfunc('native_set_pmd', function* (_k: Ctx, p: TablePtr, v: number): Program<void> {
  const check = { frame: p.frame, gen: p.gen, level: p.level };
  yield { op: 'xchg', addr: p.addr, width: 2, value: v, check };
});

/** native_pte_clear / native_pmd_clear: low word 0, smp_wmb, high word 0. */
const native_clear = (name: string) =>
  kfunc(name, function* (k: Ctx, p: TablePtr): Program<void> {
    k.kernel.machine.recordWhole(p.addr, 0);
    yield* halfStore(p, 'lo', 0);
    yield* halfStore(p, 'hi', 0);
  });
const native_pte_clear = native_clear('native_pte_clear');
const native_pmd_clear = native_clear('native_pmd_clear');

const ptep_get_lockless_observe = get_lockless_low_high('ptep_get_lockless', true);
const pmdp_get_lockless_observe = get_lockless_low_high('pmdp_get_lockless', true);

export const x86_32_pae: Arch = {
  name: 'x86-32-pae',
  description:
    '32-bit x86 with PAE (v5.11+ generic ptep_get_lockless; pmdp_get_lockless from v6.2): 64-bit entries read as two ' +
    '32-bit words (READ_ONCE too), written half-wise or by cmpxchg8b; TLB flush by IPI; no RCU table free. ' +
    'Page tables above 4 GB (a pmd with a high word) need CONFIG_HIGHPTE',
  kernels: 'v4.19..v6.14', // RCU table free unconditional from v6.15 (a37259732a7d), which also dropped CONFIG_HIGHPTE (0081fdeccbf6)
  cpu: 'i686 with PAE (CONFIG_X86_PAE), bare metal',
  rcuTableFree: false,
  flush_tlb_range: x86_64.flush_tlb_range,
  plain_read,
  get_lockless: (k, p) => (p.level === 1 ? ptep_get_lockless(k, p) : pmdp_get_lockless(k, p)),
  set_entry: (k, p, v) => (p.level === 1 ? native_set_pte(k, p, v) : native_set_pmd(k, p, v)),
  clear_entry: (k, p) => (p.level === 1 ? native_pte_clear(k, p) : native_pmd_clear(k, p)),
};

/** Test variant: the same profile, with oracle 4 at the reads reporting a torn present value
 * as an observation instead of a violation, so that the oracle judges what the walker does
 * with it (a recheck that passes on it, pmd_clear_bad on it). */
export const x86_32_pae_torn_observed: Arch = {
  ...x86_32_pae,
  name: 'x86-32-pae-torn-observed',
  plain_read: plain_read_of(true),
  get_lockless: (k, p) => (p.level === 1 ? ptep_get_lockless_observe(k, p) : pmdp_get_lockless_observe(k, p)),
};
