/**
 * x86-64 (arch/x86/mm/tlb.c, arch/x86/include/asm/tlbflush.h). Entries are 64-bit and read or
 * written in one access. Four profiles, by kernel range and CPU:
 *
 *  - 'x86-64' (v4.19..v6.14, bare metal): flush_tlb_mm_range sends an IPI to every other CPU in
 *    mm_cpumask and waits for it; the handler flushes that CPU's TLB. Page tables are freed right
 *    after the flush: CONFIG_MMU_GATHER_RCU_TABLE_FREE only with PARAVIRT (48a8b97cfd80, v4.19)
 *    and even then native_tlb_remove_table was tlb_remove_page, until a37259732a7d (v6.15).
 *  - 'x86-64-rcu' (v6.15.., any CPU without X86_FEATURE_INVLPGB; before v6.15 a PARAVIRT guest
 *    whose pv_ops.mmu.tlb_remove_table is tlb_remove_table): the same IPI flush, page tables
 *    freed through RCU.
 *  - 'x86-64-invlpgb' (v6.15.., AMD INVLPGB, the mm holds a global ASID): the INVLPGB series
 *    (Rik van Riel, merged for v6.15: a37259732a7d MMU_GATHER_RCU_TABLE_FREE unconditional,
 *    767ae437a32d INVLPGB feature, 72a920eacd8a broadcast flush in page reclaim, be88a1dd6112
 *    global ASID context switch and flush, 4afeb0ed1753 broadcast invalidation for multi-threaded
 *    processes; 0b7eb55cb706 unmapped_pages). flush_tlb_mm_range calls broadcast_tlb_flush:
 *    INVLPGB for the range, then TLBSYNC: no IPI, nothing waits for a CPU with IRQs off.
 *    arch_tlbbatch_flush (reclaim) calls invlpgb_flush_all_nonglobals. Page tables are freed
 *    through RCU; tlb_remove_table_sync_one (mm/mmu_gather.c) is still smp_call_function: an IPI.
 *  - 'x86-64-invlpgb-dyn-asid' (v6.15.., AMD INVLPGB, the mm has no global ASID): flushes of the
 *    mm by IPI as on 'x86-64-rcu', but reclaim's batched flush is still INVLPGB: arch_tlbbatch_
 *    flush tests X86_FEATURE_INVLPGB and batch->unmapped_pages, not the mm's ASID.
 *
 * Still IPIs with INVLPGB (not modeled paths, for the record): flush_tlb_multi of an mm in ASID
 * transition (finish_asid_transition); tlb_remove_table_sync_one. flush_tlb_kernel_range and
 * flush_tlb_all use INVLPGB when the CPU has it (kernel_tlb_flush_range / invlpgb_flush_all).
 *
 * Global ASID: consider_global_asid gives the mm one when it is seen active on 4 or more CPUs
 * (mm_active_cpus_exceeds(mm, 3), checked every 32nd jiffy in flush_tlb_mm_range), and the mm
 * keeps it for its life (mm_free_global_asid at exit). The scenarios run 2-3 CPUs, so the
 * profile states it as an assumption about the past: the mm got its global ASID earlier, and
 * its ASID transition has finished (every CPU running it uses the global ASID), so
 * finish_asid_transition sends no IPI. With fewer than 4 active CPUs the mm of
 * 'x86-64-invlpgb-dyn-asid' never gets one, so that profile needs no such assumption.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import type { Arch } from './arch.js';
import { entry64, smp_call_function_many } from './common.js';

/** flush_tlb_func: the handler, run on each target CPU with IRQs off. */
const flush_tlb_func = (start: number, end: number) =>
  kfunc('flush_tlb_func', function* (_k: Ctx): Program<void> {
    yield { op: 'tlb_flush_local', start, end };
  });

/** flush_tlb_multi -> native_flush_tlb_multi (on_each_cpu_cond_mask, wait=true), then the
 * local flush. Lazy-TLB CPUs are skipped by the kernel; in the model a CPU is in mm_cpumask
 * only while it runs the mm. */
function* flush_by_ipi(k: Ctx, mask: number[], start: number, end: number): Program<void> {
  if (mask.some((c) => c !== k.cpu)) yield* smp_call_function_many(k, mask, 'flush_tlb_func', flush_tlb_func(start, end));
  if (mask.includes(k.cpu)) yield { op: 'tlb_flush_local', start, end };
}

/** broadcast_tlb_flush: invlpgb_flush_user_nr_nosync over the range (or the whole PCID), then
 * __tlbsync: every CPU's TLB entries of the mm's global ASID are gone, as one step; no
 * interrupt. finish_asid_transition: nothing to do (see the header). */
const broadcast_tlb_flush = kfunc('broadcast_tlb_flush', function* (_k: Ctx, start: number, end: number): Program<void> {
  yield { op: 'tlbi_broadcast', start, end };
});

/** invlpgb_flush_all_nonglobals: INVLPGB of every non-global translation, any PCID, then TLBSYNC. */
const invlpgb_flush_all_nonglobals = kfunc('invlpgb_flush_all_nonglobals', function* (_k: Ctx): Program<void> {
  yield { op: 'tlbi_broadcast', start: 0, end: Number.MAX_SAFE_INTEGER };
});

/** The CPU and mm state a profile stands for. */
interface X86Tlb {
  /** cpu_feature_enabled(X86_FEATURE_INVLPGB) (and a v6.15+ kernel: the code exists) */
  invlpgb: boolean;
  /** mm_global_asid(mm) != 0 */
  globalAsid: boolean;
}

function x86Tlb(o: X86Tlb): Pick<Arch, 'flush_tlb_range' | 'tlbbatch'> {
  /** flush_tlb_mm_range (flush_tlb_range(vma, ...)): broadcast for a global ASID, else IPIs. */
  const flush_tlb_mm_range = kfunc('flush_tlb_mm_range', function* (k: Ctx, start: number, end: number): Program<void> {
    if (o.invlpgb && o.globalAsid) yield* broadcast_tlb_flush(k, start, end);
    else yield* flush_by_ipi(k, k.kernel.mmCpumask(), start, end);
  });

  /** arch_tlbbatch_add_pending: remember which CPUs may cache the mm (cpumask_or); since
   * 0b7eb55cb706 (v6.15) also batch->unmapped_pages = true. */
  function* arch_tlbbatch_add_pending(k: Ctx, _start: number, _end: number): Program<void> {
    for (const c of k.kernel.mmCpumask()) k.tlb_ubc.cpumask.add(c);
    if (o.invlpgb) k.tlb_ubc.unmapped_pages = true;
  }

  /** arch_tlbbatch_flush: INVLPGB of everything when the CPU has it and pages were unmapped,
   * else flush_tlb_multi(&batch->cpumask) — IPI the CPUs and wait. */
  const arch_tlbbatch_flush = kfunc('arch_tlbbatch_flush', function* (k: Ctx): Program<void> {
    if (o.invlpgb && k.tlb_ubc.unmapped_pages) {
      yield* invlpgb_flush_all_nonglobals(k);
      k.tlb_ubc.unmapped_pages = false;
    } else yield* flush_by_ipi(k, [...k.tlb_ubc.cpumask], 0, Number.MAX_SAFE_INTEGER);
    k.tlb_ubc.cpumask.clear();
  });

  return {
    flush_tlb_range: flush_tlb_mm_range,
    tlbbatch: {
      should_defer: (k) => k.kernel.mmCpumask().some((c) => c !== k.cpu), // another CPU may cache the mm
      add_pending: arch_tlbbatch_add_pending,
      flush: arch_tlbbatch_flush,
    },
  };
}

export const x86_64: Arch = {
  name: 'x86-64',
  description: 'TLB flush by IPI (the flusher waits); page tables freed after the flush, not through RCU',
  kernels: 'v4.19..v6.14',
  cpu: 'bare metal (native pv_ops: tables freed by tlb_remove_page); INVLPGB unused (no kernel support before v6.15)',
  rcuTableFree: false,
  ...x86Tlb({ invlpgb: false, globalAsid: false }),
  ...entry64,
};

/** x86-64 from v6.15 (a37259732a7d) on a CPU without INVLPGB: the IPI flush, tables freed through RCU. */
export const x86_64_rcu: Arch = {
  ...x86_64,
  name: 'x86-64-rcu',
  description: 'TLB flush by IPI; page tables freed through RCU (CONFIG_MMU_GATHER_RCU_TABLE_FREE: v6.15+ a37259732a7d, or PARAVIRT)',
  kernels: 'v4.19..',
  cpu:
    'v6.15+: bare metal without X86_FEATURE_INVLPGB (Intel; AMD before Zen 3); before v6.15: a PARAVIRT guest whose ' +
    'pv_ops.mmu.tlb_remove_table is tlb_remove_table and whose flush is the native IPI',
  rcuTableFree: true,
};

/** AMD INVLPGB, the mm holding a global ASID: every flush of the mm is a broadcast, no IPI. */
export const x86_64_invlpgb: Arch = {
  ...x86_64_rcu,
  name: 'x86-64-invlpgb',
  description: 'AMD INVLPGB broadcast TLB flush (no IPI) for an mm with a global ASID; page tables freed through RCU',
  kernels: 'v6.15..',
  cpu:
    'AMD with X86_FEATURE_INVLPGB (Zen 3+), bare metal, CONFIG_BROADCAST_TLB_FLUSH; the mm holds a global ASID ' +
    '(seen active on 4+ CPUs earlier: consider_global_asid) and its ASID transition has finished',
  ...x86Tlb({ invlpgb: true, globalAsid: true }),
};

/** AMD INVLPGB, the mm without a global ASID: mm flushes by IPI, reclaim's batched flush by INVLPGB. */
export const x86_64_invlpgb_dyn_asid: Arch = {
  ...x86_64_rcu,
  name: 'x86-64-invlpgb-dyn-asid',
  description: 'AMD INVLPGB CPU, mm without a global ASID: flush_tlb_mm_range by IPI, arch_tlbbatch_flush by INVLPGB; RCU table free',
  kernels: 'v6.15..',
  cpu: 'AMD with X86_FEATURE_INVLPGB (Zen 3+), bare metal; the mm has no global ASID (never active on 4+ CPUs at once)',
  ...x86Tlb({ invlpgb: true, globalAsid: false }),
};

/** Hypothetical: INVLPGB without a37259732a7d, page tables freed right after the broadcast flush
 * (as bare-metal x86 did before v6.15). a37259732a7d: RCU table freeing "makes it safe to use
 * INVLPGB on AMD CPUs"; this profile is the configuration that sentence rules out. */
export const x86_64_invlpgb_no_rcu_table_free: Arch = {
  ...x86_64_invlpgb,
  name: 'x86-64-invlpgb-no-rcu-table-free',
  description: 'hypothetical: INVLPGB broadcast flush (no IPI) and page tables freed right after it, not through RCU',
  kernels: 'hypothetical',
  cpu: 'x86-64-invlpgb without CONFIG_MMU_GATHER_RCU_TABLE_FREE (no kernel ships it: the series made it unconditional first)',
  rcuTableFree: false,
};
