/**
 * arm64 (arch/arm64/include/asm/tlbflush.h __flush_tlb_range): dsb(ishst); TLBI ...IS; dsb(ish).
 * The broadcast invalidation reaches every CPU's TLB in hardware: no interrupt, nothing waits
 * for a CPU that has IRQs off. So page tables are freed through RCU
 * (CONFIG_MMU_GATHER_RCU_TABLE_FREE). The pmd clear is xchg_relaxed.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import type { Arch } from './arch.js';
import { entry64 } from './common.js';

const __flush_tlb_range = kfunc('__flush_tlb_range', function* (_k: Ctx, start: number, end: number): Program<void> {
  yield { op: 'tlbi_broadcast', start, end };
});

/** arch_tlbbatch_add_pending: __flush_tlb_range_nosync — the TLBI is issued now, without the DSB. */
const arch_tlbbatch_add_pending = kfunc('arch_tlbbatch_add_pending', function* (_k: Ctx, start: number, end: number): Program<void> {
  yield { op: 'tlbi_broadcast', start, end };
});

/** arch_tlbbatch_flush: dsb(ish) — waits for the broadcast invalidations; no step in an SC model. */
function* arch_tlbbatch_flush(_k: Ctx): Program<void> {}

export const arm64: Arch = {
  name: 'arm64',
  description: 'broadcast TLBI (no IPI); page tables freed through RCU',
  kernels: 'v4.19..',
  cpu:
    'ARMv8 (TLBI ...IS broadcast), CONFIG_MMU_GATHER_RCU_TABLE_FREE; reclaim defers its flush (ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH) ' +
    'from v6.6 (43b3dfdd0455), read as patch arm64-batched-unmap-flush',
  rcuTableFree: true,
  flush_tlb_range: __flush_tlb_range,
  // arch_tlbbatch_should_defer: true on arm64 since 43b3dfdd0455 (v6.6); before it arm64 had no
  // ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH and try_to_unmap_one flushed at once (ptep_clear_flush)
  tlbbatch: { should_defer: (k) => k.kernel.has('arm64-batched-unmap-flush'), add_pending: arch_tlbbatch_add_pending, flush: arch_tlbbatch_flush },
  ...entry64,
};

/** Hypothetical: arm64 without CONFIG_MMU_GATHER_RCU_TABLE_FREE (page tables freed right after
 * the broadcast TLBI, as on an IPI-flushing arch). The configuration the rcu-free question asks
 * about; no kernel ships it. */
export const arm64_no_rcu_table_free: Arch = {
  ...arm64,
  name: 'arm64-no-rcu-table-free',
  description: 'hypothetical: broadcast TLBI (no IPI) and page tables freed right after the flush, not through RCU',
  kernels: 'hypothetical',
  cpu: 'arm64 as above without CONFIG_MMU_GATHER_RCU_TABLE_FREE (no kernel ships it)',
  rcuTableFree: false,
};
