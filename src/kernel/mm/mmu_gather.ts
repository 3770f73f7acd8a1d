/** mm/mmu_gather.c */
import type { Program } from '../../machine/effects.js';
import { do_nothing, smp_call_function_many } from '../arch/common.js';
import { type Ctx, kfunc } from '../kernel.js';

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
