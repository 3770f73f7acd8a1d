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
  /** The kernel releases this profile models: 'vA.B..vC.D', 'vA.B..' (and later), or
   * 'hypothetical' (no kernel ships it). See inKernelRange. */
  kernels: string;
  /** The CPU features and config it assumes (and, where it matters, the mm's state). */
  cpu: string;
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

function release(v: string): number {
  const m = /^v(\d+)\.(\d+)$/.exec(v);
  if (!m) throw new Error(`bad release '${v}' in an arch profile's kernel range`);
  return Number(m[1]) * 1000 + Number(m[2]);
}

/** Whether `kernel` (a release like 'v6.18') is in the arch profile's stated range. */
export function inKernelRange(arch: Pick<Arch, 'kernels'>, kernel: string): boolean {
  if (arch.kernels === 'hypothetical') return true; // a what-if at any release, said so by its name
  const [from, to] = arch.kernels.split('..');
  const v = release(kernel);
  return (!from || release(from) <= v) && (!to || v <= release(to));
}

/** A warning for a scenario that pairs a profile with a kernel outside its range, or null. */
export function kernelRangeWarning(arch: Pick<Arch, 'name' | 'kernels'>, kernel: string): string | null {
  if (inKernelRange(arch, kernel)) return null;
  return `kernel: ${kernel} is outside arch profile '${arch.name}' range ${arch.kernels}: the verdict is about that profile at ${kernel}, a configuration no release had`;
}
