/**
 * The x86-64 rows again, on AMD CPUs with INVLPGB (v6.15+, the 'x86-64-invlpgb' profiles of
 * src/kernel/arch/x86_64.ts). Each row keeps its family's scenario (the builder of split.ts,
 * reclaim.ts, collapse.ts, rcu-free.ts, mmap-overlap.ts) and changes only the profile and, where
 * the old row sat before v6.15, the kernel: v6.18.
 *
 * What changes: the x86-64 rows whose verdict rests on "the flush IPI waits for IRQ-off
 * GUP-fast". With INVLPGB, flush_tlb_mm_range of an mm with a global ASID is broadcast_tlb_flush
 * (INVLPGB + TLBSYNC, no interrupt), and reclaim's arch_tlbbatch_flush is
 * invlpgb_flush_all_nonglobals whether or not the mm has one. What stays: page tables are freed
 * through RCU on every x86 since a37259732a7d (v6.15, the series' first patch), and
 * tlb_remove_table_sync_one is still an IPI (smp_call_function), so khugepaged's 2ba99c5e0881
 * still waits for IRQ-off GUP-fast.
 *
 * The expectations are argued from the kernel source and commit messages named in each row's
 * source, never from a run.
 */
import { build as buildCollapse } from './collapse.js';
import { builder as mmapOverlapBuilder } from './mmap-overlap.js';
import { build as buildRcuFree } from './rcu-free.js';
import { build as buildReclaim } from './reclaim.js';
import type { Flip, Scenario, ScenarioConfig } from './scenario.js';
import { build as buildSplit } from './split.js';

const V = 'v6.18';

type Family = 'split' | 'reclaim' | 'collapse' | 'rcu-free' | 'mmap-overlap';

const QUESTIONS: Record<Family, string> = {
  split: 'On an AMD CPU with INVLPGB, can GUP-fast on a THP being split return a page it does not hold a proper reference on?',
  reclaim: 'On an AMD CPU with INVLPGB, can GUP-fast return a page that reclaim freed and the allocator gave to another owner?',
  collapse: 'On an AMD CPU with INVLPGB, can GUP-fast return a 4K page that khugepaged has just copied into a THP and discarded?',
  'rcu-free': 'On an AMD CPU with INVLPGB, can GUP-fast read a page table that munmap freed and the allocator reused?',
  'mmap-overlap': 'On an AMD CPU with INVLPGB, can GUP-fast racing with MAP_FIXED over the range pin a page that stays hidden, or read a freed table?',
};

const BUILD: Record<Family, Scenario['build']> = {
  split: (c) => buildSplit({ ...c, ptes: true }),
  reclaim: buildReclaim,
  collapse: buildCollapse,
  'rcu-free': (c) => buildRcuFree(c),
  'mmap-overlap': mmapOverlapBuilder('gup'),
};

function row(family: Family, variant: string, expect: Scenario['expect'], source: string, config: Omit<ScenarioConfig, 'kernel'>, flips?: Flip): Scenario {
  return {
    id: `${family}/${variant}`,
    family,
    variant,
    question: QUESTIONS[family],
    expect,
    source,
    config: { kernel: V, ...config },
    ...(flips ? { flips } : {}),
    build: BUILD[family],
  };
}

const C24D =
  'c24d37322548 (Jann Horn): the split race "can\'t actually happen on bare-metal x86 (because there, disabling IRQs locks out ' +
  'remote TLB flushes)"; INVLPGB is a remote flush that IRQs off does not lock out';
const BATCH = 'arch_tlbbatch_flush: X86_FEATURE_INVLPGB && batch->unmapped_pages -> invlpgb_flush_all_nonglobals (72a920eacd8a, 0b7eb55cb706)';

export const invlpgb: Scenario[] = [
  // split (pte-mapped THP; split_huge_page unmaps with TTU_BATCH_FLUSH: arch_tlbbatch_flush)
  row('split', 'pte-mapped-x86-64-invlpgb-no-folio-recheck', 'violated', `${C24D}; the split's flush is ${BATCH}`,
    { arch: 'x86-64-invlpgb', patches: ['-gup-folio-recheck'] }),
  row('split', 'pte-mapped-x86-64-invlpgb-dyn-asid-no-folio-recheck', 'violated',
    `${C24D}; without a global ASID too: the split's batched flush is ${BATCH}, not an IPI`,
    { arch: 'x86-64-invlpgb-dyn-asid', patches: ['-gup-folio-recheck'] }),
  row('split', 'pte-mapped-x86-64-invlpgb', 'verified', '7aef4172c795 + c24d37322548: freeze, page_folio recheck and pte recheck, as on arm64',
    { arch: 'x86-64-invlpgb', patches: [] }, { patches: ['-gup-folio-recheck'], why: 'the page_folio recheck is what closes the split race without a waiting flush' }),
  // reclaim
  row('reclaim', 'x86-64-invlpgb-no-pte-recheck', 'violated',
    `2667f50e8b81: without the pte recheck the speculative reference on the reused page is returned, as on arm64; reclaim's flush is ${BATCH}`,
    { arch: 'x86-64-invlpgb', patches: ['-gup-pte-recheck'] }),
  row('reclaim', 'x86-64-invlpgb-dyn-asid-no-pte-recheck', 'violated',
    `the same without a global ASID: ${BATCH} tests the CPU feature, not the mm's ASID`,
    { arch: 'x86-64-invlpgb-dyn-asid', patches: ['-gup-pte-recheck'] }),
  row('reclaim', 'x86-64-invlpgb-pte-recheck', 'verified', '2667f50e8b81: the pte recheck drops a speculative reference on a reused page',
    { arch: 'x86-64-invlpgb', patches: [] }, { patches: ['-gup-pte-recheck'], why: 'with a flush that does not wait, only the pte recheck catches the reused page' }),
  // collapse
  row('collapse', 'x86-64-invlpgb-no-pmd-recheck', 'verified',
    '2ba99c5e0881: tlb_remove_table_sync_one after pmdp_collapse_flush is an IPI that waits for IRQ-off GUP-fast (a real IPI on x86 since a37259732a7d made RCU table free unconditional); a pin taken before it fails the refcount check',
    { arch: 'x86-64-invlpgb', patches: ['-gup-pmd-recheck'] },
    { patches: ['-khugepaged-sync-ipi'], why: 'with the broadcast flush, the sync IPI is the only wait for IRQ-off GUP-fast' }),
  row('collapse', 'x86-64-invlpgb-no-recheck-no-sync-ipi', 'violated',
    '70cbc3cc78a9 commit message: without a flush that waits for IRQ-off GUP-fast (INVLPGB does not), GUP-fast can pin the 4K page khugepaged copied',
    { arch: 'x86-64-invlpgb', patches: ['-gup-pmd-recheck', '-khugepaged-sync-ipi'] }),
  // rcu-free
  row('rcu-free', 'x86-64-invlpgb', 'verified',
    'a37259732a7d: page tables freed through RCU, which IRQ-off GUP-fast holds off: "That makes it safe to use INVLPGB on AMD CPUs"',
    { arch: 'x86-64-invlpgb', patches: [] },
    { arch: 'x86-64-invlpgb-no-rcu-table-free', why: 'without RCU table freeing nothing holds the free off: the broadcast flush does not wait' }),
  row('rcu-free', 'x86-64-invlpgb-no-rcu-table-free', 'violated',
    'a37259732a7d: IRQs off blocks only IPI flushes; with INVLPGB and tables freed right after the flush, GUP-fast reads a freed table (as arm64-no-rcu-table-free)',
    { arch: 'x86-64-invlpgb-no-rcu-table-free', patches: [] }),
  // mmap-overlap
  row('mmap-overlap', 'gup-fast-x86-64-invlpgb', 'verified',
    'as gup-fast-arm64: GUP-fast pins before vms_clean_up_area clears the pte (user-initiated) or finds nothing; tables are RCU-freed (a37259732a7d)',
    { arch: 'x86-64-invlpgb', patches: [] },
    { arch: 'x86-64-invlpgb-no-rcu-table-free', why: 'MAP_FIXED frees the old tables; only RCU keeps them alive under GUP-fast when the flush does not wait' }),
];
