/** mm/mmu_gather.c */
import type { Program } from '../../machine/effects.js';
import { do_nothing, smp_call_function_many } from '../arch/common.js';
import { guarded } from '../guards.js';
import { Ctx, type Kernel, kfunc, note } from '../kernel.js';

/**
 * tlb_remove_table_sync_one: with CONFIG_MMU_GATHER_RCU_TABLE_FREE, smp_call_function(
 * tlb_remove_table_smp_sync, NULL, 1): an IPI to every other online CPU, waited for. "Not an RCU
 * grace period", but enough for walkers that disable IRQs. Without RCU table freeing it is an
 * empty inline (the TLB flush IPI already did the job).
 */
export const tlb_remove_table_sync_one = kfunc('tlb_remove_table_sync_one', function* (k: Ctx): Program<void> {
  if (!k.arch.rcuTableFree) return;
  yield* smp_call_function_many(k, k.kernel.onlineCpus(), 'tlb_remove_table_smp_sync', do_nothing);
});

/*
 * The mmu_gather of munmap / MAP_FIXED (mm/mmu_gather.c and include/asm-generic/tlb.h, v6.18
 * linux-next): the range to flush, the batch of pages to free after the flush, and the batch of
 * page tables. The struct lives on the unmapping thread's stack: its fields are not shared
 * memory and touching them is no step.
 *
 * Page tables:
 *  - with CONFIG_MMU_GATHER_RCU_TABLE_FREE (arch.rcuTableFree): tlb_remove_table queues the
 *    table; tlb_table_flush (after the TLB flush) hands the batch to call_rcu, and
 *    tlb_remove_table_rcu frees it after a grace period. An IRQ-off GUP-fast holds that off.
 *  - without it (x86 !PARAVIRT before a37259732a7d; the hypothetical arm64 profile
 *    'arm64-no-rcu-table-free'): __pte_free_tlb is tlb_remove_page: the table goes into the page
 *    batch and is freed by tlb_batch_pages_flush right after the TLB flush.
 *
 * Simplifications: the batch page of tlb_remove_table (__get_free_page(GFP_NOWAIT)) is not
 * taken from the machine's allocator; a scenario can make it fail (failTableBatchAlloc, memory
 * pressure) to reach the tlb_remove_table_one fallback, modeled in its pre-linux-next form
 * (tlb_remove_table_sync_one's IPI, then an immediate free; linux-next queues the one table on
 * call_rcu instead, not modeled); batches never fill (MAX_GATHER_BATCH / MAX_TABLE_BATCH are far above the
 * scenarios' few pages); inc/dec_tlb_flush_pending, mm_tlb_flush_nested, tlb_change_page_size,
 * tlb_start/end_vma and the delayed-rmap path (file pages only) are not modeled: no modeled
 * reader looks at them.
 */
import { folio_put } from './swap.js';
import { folio_ref_sub_and_test } from '../sync/refcount.js';
import { free_frozen_pages } from './page_alloc.js';
import { call_rcu } from '../sync/rcu.js';

const batchAllocFails = new WeakSet<Kernel>();
/** Scenario setup (not a step): every __get_free_page(GFP_NOWAIT) for a table batch fails. */
export function failTableBatchAlloc(k: Kernel): void {
  batchAllocFails.add(k);
}

/** tlb_remove_table_one (RCU table free, before linux-next's per-table call_rcu): the IPI that
 * waits out IRQ-off walkers, then free the table now. */
const tlb_remove_table_one = kfunc('tlb_remove_table_one', function* (k: Ctx, table: number): Program<void> {
  yield* tlb_remove_table_sync_one(k);
  yield* __tlb_remove_table(k, table);
});

export interface MmuGather {
  start: number;
  end: number;
  freed_tables: boolean;
  cleared_ptes: boolean;
  /** tlb->local.encoded_pages...: pages (and, without RCU table free, tables) to free */
  pages: number[];
  /** tlb->batch->tables (RCU table free) */
  tables: number[] | null;
}

export const tlb_gather_mmu = kfunc('tlb_gather_mmu', function* (_k: Ctx): Program<MmuGather> {
  return { start: Infinity, end: 0, freed_tables: false, cleared_ptes: false, pages: [], tables: null };
});

/** __tlb_adjust_range / tlb_remove_tlb_entry / tlb_flush_pmd_range */
export function tlb_adjust_range(tlb: MmuGather, address: number, size: number): void {
  tlb.start = Math.min(tlb.start, address);
  tlb.end = Math.max(tlb.end, address + size);
}

/** __tlb_remove_folio_pages: queue the page; freed after the TLB flush. */
export function tlb_remove_page(tlb: MmuGather, pfn: number): void {
  tlb.pages.push(pfn);
}

/** __tlb_remove_table: pagetable_dtor_free -> pagetable_free -> __free_pages (put_page_testzero). */
const __tlb_remove_table = kfunc('__tlb_remove_table', function* (k: Ctx, table: number): Program<void> {
  if (yield* folio_ref_sub_and_test(k.kernel, table, 1)) yield* free_frozen_pages(k, table, 0);
});

/** tlb_remove_table_rcu: the call_rcu callback, after a grace period. */
const tlb_remove_table_rcu = kfunc('tlb_remove_table_rcu', function* (k: Ctx, tables: number[]): Program<void> {
  for (const t of tables) yield* __tlb_remove_table(k, t); // __tlb_remove_table_free
});

/** tlb_remove_table (RCU table free) / tlb_remove_page (without): queue a page-table page. */
export const tlb_remove_table = kfunc('tlb_remove_table', function* (k: Ctx, tlb: MmuGather, table: number): Program<void> {
  if (!k.arch.rcuTableFree) {
    tlb_remove_page(tlb, table); // ___pte_free_tlb -> tlb_remove_page
    return;
  }
  if (!tlb.tables) {
    if (batchAllocFails.has(k.kernel)) {
      yield* note('__get_free_page(GFP_NOWAIT) for the table batch failed: free this table on its own');
      yield* tlb_flush_mmu_tlbonly(k, tlb); // tlb_table_invalidate
      yield* tlb_remove_table_one(k, table);
      return;
    }
    tlb.tables = []; // the batch page: see the header
  }
  tlb.tables.push(table);
});

/** tlb_flush_mmu_tlbonly: flush the gathered range (flush_tlb_range/flush_tlb_mm), reset it. */
export const tlb_flush_mmu_tlbonly = kfunc('tlb_flush_mmu_tlbonly', function* (k: Ctx, tlb: MmuGather): Program<void> {
  if (!(tlb.freed_tables || tlb.cleared_ptes)) return;
  yield* k.arch.flush_tlb_range(k, tlb.start, tlb.end);
  tlb.start = Infinity;
  tlb.end = 0;
  tlb.freed_tables = tlb.cleared_ptes = false; // __tlb_reset_range
});

/** tlb_table_flush: tlb_table_invalidate, then tlb_remove_table_free(batch). */
const tlb_table_flush = kfunc('tlb_table_flush', function* (k: Ctx, tlb: MmuGather): Program<void> {
  const batch = tlb.tables;
  if (!batch) return;
  yield* tlb_flush_mmu_tlbonly(k, tlb); // tlb_table_invalidate (nothing left to flush here)
  const kernel = k.kernel;
  const cpu = k.cpu;
  yield* call_rcu('tlb_remove_table_rcu', () => tlb_remove_table_rcu(new Ctx(kernel, cpu), batch));
  tlb.tables = null;
});

/** tlb_batch_pages_flush -> free_pages_and_swap_cache -> folios_put: drop each reference. */
const tlb_batch_pages_flush = kfunc('tlb_batch_pages_flush', function* (k: Ctx, tlb: MmuGather): Program<void> {
  for (const pfn of tlb.pages.splice(0)) yield* folio_put(k, pfn);
});

/** tlb_flush_mmu: the TLB flush, then tlb_flush_mmu_free (tables, then pages). */
export const tlb_flush_mmu = kfunc('tlb_flush_mmu', function* (k: Ctx, tlb: MmuGather): Program<void> {
  const ordered = guarded(k, 'tlb_flush_mmu:flush_before_free');
  if (ordered) yield* tlb_flush_mmu_tlbonly(k, tlb);
  yield* tlb_table_flush(k, tlb);
  yield* tlb_batch_pages_flush(k, tlb);
  if (!ordered) yield* tlb_flush_mmu_tlbonly(k, tlb);
});

export const tlb_finish_mmu = kfunc('tlb_finish_mmu', function* (k: Ctx, tlb: MmuGather): Program<void> {
  yield* tlb_flush_mmu(k, tlb);
});
