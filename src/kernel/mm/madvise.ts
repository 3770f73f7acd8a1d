/**
 * mm/madvise.c (v6.14): madvise(start, len, MADV_DONTNEED) in a process with a VMA tree:
 * do_madvise -> madvise_lock (mmap_read_lock: MADV_DONTNEED does not need it for write) ->
 * madvise_walk_vmas -> madvise_vma_behavior -> madvise_dontneed_free ->
 * madvise_dontneed_single_vma, which zaps with zap_details { .reclaim_pt = true } (6375e95f381e:
 * an emptied pte table over a whole PMD range is freed, see memory.ts) -> madvise_unlock.
 *
 * Simplifications: the range lies in one vma (madvise_walk_vmas visits one; find_vma is the
 * slot load of mas_walk); madvise_dontneed_free_valid_vma (vm_flags: no VM_LOCKED / VM_PFNMAP,
 * not hugetlb), userfaultfd_remove, lru_add_drain, the mmu notifiers and the per-VMA-lock
 * variant of later kernels (v6.17) are not modeled; madvise_dontneed_single_vma's
 * zap_page_range_single does not clip to the vma again (the range is inside it).
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { zap_page_range_single } from './memory.js';
import { mmap_read_lock, mmap_read_unlock } from './mmap_lock.js';
import { mas_walk, vma_read } from './vma_tree.js';

export const madvise_dontneed_vma = kfunc('do_madvise', function* (k: Ctx, start: number, len: number): Program<number> {
  const end = start + len;
  yield* mmap_read_lock(k); // madvise_lock
  // madvise_walk_vmas: find_vma_prev, then clip [start, end) to the vma
  const vma = yield* mas_walk(k, start);
  let r = -12; // -ENOMEM: unmapped range
  if (vma && start >= (yield* vma_read(k, vma.vm_start))) {
    const tmp = Math.min(end, yield* vma_read(k, vma.vm_end));
    // madvise_dontneed_single_vma
    yield* zap_page_range_single(k, start, tmp - start, { reclaim_pt: true });
    r = tmp === end ? 0 : -12;
  } else yield* note('madvise: no vma at start');
  yield* mmap_read_unlock(k); // madvise_unlock
  return r;
});
