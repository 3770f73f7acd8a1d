/**
 * powerpc book3s64 radix (arch/powerpc/mm/book3s64/radix_pgtable.c, radix_tlb.c): tlbie is a
 * hardware broadcast, so TLB flushes send no IPI; page tables are freed through RCU.
 * radix__pmdp_collapse_flush reads and clears the pmd with plain accesses (pmd_ptl is held),
 * and, until bedf03416913 (v6.0), also called serialize_against_pte_lookup(): an IPI to every
 * CPU of mm_cpumask, waited for, to hold off IRQ-disabled GUP-fast walkers.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { type TablePtr, store64 } from '../mm/pgtable.js';
import type { Arch } from './arch.js';
import { do_nothing, entry64, smp_call_function_many } from './common.js';

const radix__flush_tlb_range = kfunc('radix__flush_tlb_range', function* (_k: Ctx, start: number, end: number): Program<void> {
  yield { op: 'tlbi_broadcast', start, end };
});

/** serialize_against_pte_lookup (arch/powerpc/mm/book3s64/pgtable.c): smp_mb, then IPI and wait. */
const serialize_against_pte_lookup = kfunc('serialize_against_pte_lookup', function* (k: Ctx): Program<void> {
  yield* smp_call_function_many(k, k.kernel.mmCpumask(), 'do_nothing', do_nothing);
});

const radix__pmdp_collapse_flush = kfunc(
  'radix__pmdp_collapse_flush',
  function* (k: Ctx, address: number, pmdp: TablePtr): Program<number> {
    const pmd = yield* k.arch.plain_read(k, pmdp);
    yield* store64(k, pmdp, 0); // pmd_clear
    if (!k.kernel.has('ppc-radix-no-collapse-ipi')) yield* serialize_against_pte_lookup(k);
    const g = k.kernel.machine.geometry;
    yield* radix__flush_tlb_range(k, address, address + g.size(2)); // radix__flush_tlb_collapsed_pmd
    return pmd;
  },
);

export const powerpc: Arch = {
  name: 'powerpc',
  description: 'book3s64 radix: tlbie broadcast (no IPI); RCU table free; IPI in pmdp_collapse_flush before bedf03416913',
  kernels: 'v4.19..',
  cpu: 'POWER9+ with the radix MMU (book3s64), tlbie broadcast; the collapse IPI is patch ppc-radix-no-collapse-ipi (v6.0)',
  rcuTableFree: true,
  flush_tlb_range: radix__flush_tlb_range,
  pmdp_collapse_flush: radix__pmdp_collapse_flush,
  ...entry64,
};
