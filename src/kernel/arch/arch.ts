/**
 * Architecture profiles: how TLBs are flushed (IPI and wait, or broadcast TLBI with no
 * interrupt), whether page tables are freed through RCU (CONFIG_MMU_GATHER_RCU_TABLE_FREE),
 * and how an entry is read and written (whole, or as two 32-bit halves).
 */
import type { Program } from '../../machine/effects.js';
import type { Ctx } from '../kernel.js';
import type { TablePtr } from '../mm/pgtable.js';

export interface Arch {
  name: string;
  description: string;
  /** CONFIG_MMU_GATHER_RCU_TABLE_FREE */
  rcuTableFree: boolean;
  /** flush_tlb_range(vma, start, end) */
  flush_tlb_range(k: Ctx, start: number, end: number): Program<void>;
  /**
   * ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: arch_tlbbatch_add_pending / arch_tlbbatch_flush, used
   * by reclaim's deferred flush (mm/rmap.c set_tlb_ubc_flush_pending, try_to_unmap_flush).
   * Absent: unmapping flushes at once (ptep_clear_flush).
   */
  tlbbatch?: {
    /** arch_tlbbatch_should_defer */
    should_defer(k: Ctx): boolean;
    add_pending(k: Ctx, start: number, end: number): Program<void>;
    flush(k: Ctx): Program<void>;
  };
  /** pmdp_collapse_flush, when the arch overrides the generic one (powerpc radix) */
  pmdp_collapse_flush?(k: Ctx, address: number, pmdp: TablePtr): Program<number>;
  /** a plain C dereference of an entry; `use` is 'compare' when the value is only compared
   * with an earlier one (a recheck), never acted on (oracle 4 then does not apply) */
  plain_read(k: Ctx, p: TablePtr, use?: 'compare'): Program<number>;
  /** ptep_get_lockless / pmdp_get_lockless */
  get_lockless(k: Ctx, p: TablePtr): Program<number>;
  /** set_pte / set_pmd_at / pmd_populate */
  set_entry(k: Ctx, p: TablePtr, v: number): Program<void>;
  /** pte_clear / pmd_clear, when the arch does not clear an entry with one store (x86-32 PAE) */
  clear_entry?(k: Ctx, p: TablePtr): Program<void>;
}
