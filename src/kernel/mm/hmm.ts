/**
 * mm/hmm.c, v5.8: hmm_range_fault walks the range with walk_page_range under the caller's
 * mmap_read_lock. Its pud_entry, hmm_vma_walk_pud, takes the pud lock through
 * pud_trans_huge_lock and reports a huge devmap pud as a leaf (ACTION_CONTINUE): it never lets
 * the walker split or descend into a DAX pud. With the RFC ('pagewalk-pud-read-once') it gets
 * the value the walker read and, under the lock, compares it with *pudp: if they differ it sets
 * ACTION_AGAIN (the `memcmp(pudp, &pud, sizeof(pud))` of the RFC), replacing the 2020
 * `pud = READ_ONCE(*pudp); if (pud_none(pud)) -> hole` under the lock.
 *
 * Simplifications: a snapshot walk (range->default_flags = 0, no pfn_flags_mask), so no fault
 * is ever required and hmm_vma_fault is not reached; the output pfns are ghost state; the mmu
 * interval notifier retry (mmu_interval_check_retry) is not modeled (it makes the caller retry
 * after an invalidation; it does not change what the walker reads); hmm_vma_walk_test is 0 for
 * the modeled VMA. hmm_vma_walk_pmd below a real pmd table is not modeled (no scenario
 * descends into one with these ops); reaching it throws a model error.
 */
import type { Program } from '../../machine/effects.js';
import { NotModeled } from '../../machine/effects.js';
import { PAGE_SIZE } from '../../machine/mmu.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { spin_unlock } from '../sync/spinlock.js';
import { pud_devmap, pud_huge, pud_pfn, pud_trans_huge_lock } from './huge_memory.js';
import { mmap_read_lock, mmap_read_unlock } from './mmap_lock.js';
import { type MmWalk, type MmWalkOps, walk_page_range } from './pagewalk.js';
import { type EntryPtr, type TablePtr, READ_ONCE, deref, pud_none } from './pgtable.js';

/** struct hmm_vma_walk, reduced to the output: one entry per page, a pfn or -1 (none). */
export interface HmmVmaWalk {
  pfns: number[];
}

/** hmm_vma_walk_hole: nothing mapped, no fault required: hmm_pfns_fill(addr, end, range, 0). */
const hmm_vma_walk_hole = kfunc('hmm_vma_walk_hole', function* (_k: Ctx, addr: number, end: number, _depth: number, walk: MmWalk): Program<number> {
  const w = walk.priv as HmmVmaWalk;
  for (let a = addr; a < end; a += PAGE_SIZE) w.pfns.push(-1);
  return 0;
});

/** hmm_vma_walk_pud: the 2020 form (pointer) or the RFC form (value + recheck under the lock). */
const hmm_vma_walk_pud = kfunc(
  'hmm_vma_walk_pud',
  function* (k: Ctx, pudp: TablePtr, start: number, end: number, walk: MmWalk, passed: number | undefined): Program<number> {
    const w = walk.priv as HmmVmaWalk;
    const ptl = yield* pud_trans_huge_lock(k, pudp, walk.vma!);
    if (ptl === null) return 0;
    let pud: number;
    if (passed !== undefined) {
      // RFC: if (memcmp(pudp, &pud, sizeof(pud)) != 0) { walk->action = ACTION_AGAIN; ... }
      if ((yield* deref(k, pudp)) !== passed) {
        yield* note('pud changed since the walker read it: ACTION_AGAIN');
        walk.action = 'ACTION_AGAIN';
        yield* spin_unlock(ptl);
        return 0;
      }
      pud = passed;
      walk.action = 'ACTION_CONTINUE'; // normally we don't want to split the huge page
    } else {
      walk.action = 'ACTION_CONTINUE';
      pud = yield* READ_ONCE(k, pudp);
      if (pud_none(pud)) {
        yield* spin_unlock(ptl);
        return yield* hmm_vma_walk_hole(k, start, end, -1, walk);
      }
    }
    if (pud_huge(pud) && pud_devmap(pud)) {
      const size = k.kernel.machine.geometry.size(3);
      const pfn = pud_pfn(pud) + Math.floor((start % size) / PAGE_SIZE);
      for (let i = 0; i < (end - start) / PAGE_SIZE; i++) w.pfns.push(pfn + i);
      yield* note(`huge devmap pud reported as pfns ${pfn}..${pfn + (end - start) / PAGE_SIZE - 1}`);
    } else walk.action = 'ACTION_SUBTREE'; // ask for the pud to be split
    yield* spin_unlock(ptl);
    return 0;
  },
);

const hmm_vma_walk_pmd = kfunc('hmm_vma_walk_pmd', function* (_k: Ctx, _pmdp: EntryPtr, _start: number, _end: number, _walk: MmWalk): Program<number> {
  throw new NotModeled('hmm_vma_walk_pmd below a pmd table');
});

export const hmm_walk_ops: MmWalkOps = {
  name: 'hmm_walk_ops',
  pud_entry: hmm_vma_walk_pud,
  pmd_entry: hmm_vma_walk_pmd,
  pte_hole: hmm_vma_walk_hole,
};

/** A driver's snapshot of [start, end): mmap_read_lock; hmm_range_fault; mmap_read_unlock. */
export const hmm_range_fault = kfunc('hmm_range_fault', function* (k: Ctx, start: number, end: number): Program<number[]> {
  const w: HmmVmaWalk = { pfns: [] };
  yield* mmap_read_lock(k);
  yield* walk_page_range(k, start, end, hmm_walk_ops, w);
  yield* mmap_read_unlock(k);
  yield* note(`hmm pfns: [${w.pfns.join(', ')}]`);
  return w.pfns;
});
