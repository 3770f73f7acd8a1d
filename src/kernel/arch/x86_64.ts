/**
 * x86-64 (arch/x86/mm/tlb.c, v6.14-era bare metal): flush_tlb_range sends an IPI to every other
 * CPU in mm_cpumask and waits for it; the handler flushes that CPU's TLB. Page tables are freed
 * right after the flush (CONFIG_MMU_GATHER_RCU_TABLE_FREE only with PARAVIRT before v6.15,
 * a37259732a7d). Entries are 64-bit and read or written in one access.
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

/** flush_tlb_mm_range -> native_flush_tlb_multi (on_each_cpu_cond_mask, wait=true). Lazy-TLB
 * CPUs are skipped by the kernel; in the model a CPU is in mm_cpumask only while it runs the mm. */
const flush_tlb_mm_range = kfunc('flush_tlb_mm_range', function* (k: Ctx, start: number, end: number): Program<void> {
  const mask = k.kernel.mmCpumask();
  if (mask.some((c) => c !== k.cpu)) yield* smp_call_function_many(k, mask, 'flush_tlb_func', flush_tlb_func(start, end));
  if (mask.includes(k.cpu)) yield { op: 'tlb_flush_local', start, end };
});

/** arch_tlbbatch_add_pending: remember which CPUs may cache the mm (cpumask_or). */
function* x86_add_pending(k: Ctx, _start: number, _end: number): Program<void> {
  for (const c of k.kernel.mmCpumask()) k.tlb_ubc.cpumask.add(c);
}

/** arch_tlbbatch_flush: flush_tlb_multi(&batch->cpumask) — IPI the CPUs and wait. */
const arch_tlbbatch_flush = kfunc('arch_tlbbatch_flush', function* (k: Ctx): Program<void> {
  const mask = [...k.tlb_ubc.cpumask];
  k.tlb_ubc.cpumask.clear();
  const all = { start: 0, end: Number.MAX_SAFE_INTEGER };
  if (mask.some((c) => c !== k.cpu)) yield* smp_call_function_many(k, mask, 'flush_tlb_func', flush_tlb_func(all.start, all.end));
  if (mask.includes(k.cpu)) yield { op: 'tlb_flush_local', ...all };
});

export const x86_64: Arch = {
  name: 'x86-64',
  description: 'TLB flush by IPI (the flusher waits); page tables freed after the flush, not through RCU',
  rcuTableFree: false,
  flush_tlb_range: flush_tlb_mm_range,
  tlbbatch: {
    should_defer: (k) => k.kernel.mmCpumask().some((c) => c !== k.cpu), // another CPU may cache the mm
    add_pending: x86_add_pending,
    flush: arch_tlbbatch_flush,
  },
  ...entry64,
};

/** x86-64 with PARAVIRT (or v6.15+): the same flush, tables freed through RCU. */
export const x86_64_rcu: Arch = {
  ...x86_64,
  name: 'x86-64-rcu',
  description: 'x86-64 with CONFIG_MMU_GATHER_RCU_TABLE_FREE (PARAVIRT, or v6.15+ a37259732a7d)',
  rcuTableFree: true,
};
