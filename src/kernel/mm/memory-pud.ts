/**
 * mm/memory.c, v5.8: the PUD part of a page fault. handle_mm_fault -> __handle_mm_fault walks
 * to the pud with the plain accessors (p4d_alloc, pud_alloc: each `*p4d` a load), and on a
 * none pud of a VMA that allows PUD-sized THP/DAX calls create_huge_pud -> vm_ops->huge_fault.
 * Kept apart from mm/memory.ts (the zap/fault paths of other families) on purpose.
 *
 * Simplifications: the VMA is given (the caller found it with find_vma under mmap_lock);
 * __transparent_hugepage_enabled is true for a DAX VMA (it is, in 5.8); only the PUD step is
 * modeled: a fault that would fall back to the pmd level (pmd_alloc, create_huge_pmd,
 * handle_pte_fault) or allocate a missing pud table throws a model error, and the spurious
 * fault on an already-huge pud (huge_pud_set_accessed) is a no-op with a note; no
 * perf/accounting, no userfaultfd.
 */
import type { Program } from '../../machine/effects.js';
import { NotModeled } from '../../machine/effects.js';
import type { Ctx } from '../kernel.js';
import { kfunc, note } from '../kernel.js';
import type { Vma } from './mm_types.js';
import { pud_devmap, pud_trans_huge } from './huge_memory.js';
import { type EntryPtr, type TablePtr, deref, offset_plain, pgd_offset, pud_none } from './pgtable.js';

export type HugeFault = (k: Ctx, vma: Vma, address: number, pudp: TablePtr, write: boolean) => Program<string>;

/** create_huge_pud: a file VMA with ->huge_fault gets the PUD-sized fault. */
const create_huge_pud = kfunc('create_huge_pud', function* (k: Ctx, vma: Vma, address: number, pudp: TablePtr, write: boolean, huge_fault: HugeFault): Program<string> {
  const ret = yield* huge_fault(k, vma, address, pudp, write);
  if (ret !== 'VM_FAULT_FALLBACK') return ret;
  throw new NotModeled('create_huge_pud fallback (__split_huge_pud, then the pmd level)');
});

/** __handle_mm_fault, down to the pud and the PUD-sized fault. */
export const __handle_mm_fault = kfunc(
  '__handle_mm_fault',
  function* (k: Ctx, vma: Vma, address: number, write: boolean, huge_fault: HugeFault): Program<string> {
    const g = k.kernel.machine.geometry;
    const pgd = pgd_offset(k, address);
    // p4d_alloc: `pgd_none(*pgd) && __p4d_alloc() ? NULL : p4d_offset(pgd, addr)`; with the p4d
    // level folded pgd_none() is the constant 0 (pgtable-nop4d.h): no load
    let p4d: EntryPtr = pgd;
    if (!g.folded(4)) {
      if ((yield* deref(k, pgd)) === 0) throw new NotModeled('__p4d_alloc');
      p4d = yield* offset_plain(k, 4, pgd, address);
    }
    // pud_alloc: `p4d_none(*p4d) && __pud_alloc() ? NULL : pud_offset(p4d, addr)`
    if ((yield* deref(k, p4d)) === 0) throw new NotModeled('__pud_alloc');
    const pud = (yield* offset_plain(k, 3, p4d, address)) as TablePtr;
    // retry_pud:
    if (pud_none(yield* deref(k, pud))) return yield* create_huge_pud(k, vma, address, pud, write, huge_fault);
    const orig_pud = yield* deref(k, pud); // `pud_t orig_pud = *vmf.pud; barrier();`
    if (pud_trans_huge(orig_pud) || pud_devmap(orig_pud)) {
      yield* note('spurious fault on a huge pud: huge_pud_set_accessed (not modeled: no change)');
      return '0';
    }
    throw new NotModeled('the pmd level of __handle_mm_fault');
  },
);
