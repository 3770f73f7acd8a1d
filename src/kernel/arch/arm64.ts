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

export const arm64: Arch = {
  name: 'arm64',
  description: 'broadcast TLBI (no IPI); page tables freed through RCU',
  rcuTableFree: true,
  flush_tlb_range: __flush_tlb_range,
  ...entry64,
};
