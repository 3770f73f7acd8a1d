/**
 * mm/mincore.c, v5.8: mincore(2) walks the range with walk_page_range under mmap_read_lock and
 * a pmd_entry-only mm_walk_ops (mincore_pte_range; mincore_unmapped_range for holes). With no
 * pud_entry, walk_pud_range reaches split_huge_pud for a huge pud: a DAX pud is zapped by it.
 *
 * Simplifications: sys_mincore's argument checks and its PAGE_SIZE-pages batching are left
 * out (one do_mincore call); can_do_mincore is true; the result vector is ghost state
 * (copy_to_user is not modeled); __mincore_unmapped_range's page-cache lookup (mincore_page)
 * finds nothing for a device-dax file and makes no modeled access; a pte that is not present
 * (swap/migration entry) is not modeled.
 */
import type { Program } from '../../machine/effects.js';
import { NotModeled } from '../../machine/effects.js';
import { PAGE_SIZE } from '../../machine/mmu.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { pud_devmap as pmd_devmap } from './huge_memory.js';
import { mmap_read_lock, mmap_read_unlock } from './mmap_lock.js';
import { type MmWalk, type MmWalkOps, walk_page_range } from './pagewalk.js';
import { type EntryPtr, type TablePtr, deref, nextEntry, offset_lockless, pmd_none, pmd_present, pmd_trans_huge, pte_none, pte_present } from './pgtable.js';

/** walk->private: the vector and how far it has been filled. */
export interface MincoreVec {
  vec: number[];
}

function fill(walk: MmWalk, n: number, v: number): void {
  const p = walk.priv as MincoreVec;
  for (let i = 0; i < n; i++) p.vec.push(v);
}

/** mincore_unmapped_range (pte_hole): __mincore_unmapped_range: nothing in the page cache. */
const mincore_unmapped_range = kfunc('mincore_unmapped_range', function* (_k: Ctx, addr: number, end: number, _depth: number, walk: MmWalk): Program<number> {
  fill(walk, (end - addr) / PAGE_SIZE, 0);
  return 0;
});

/** mincore_pte_range (pmd_entry): a huge pmd counts as resident; else each pte. */
const mincore_pte_range = kfunc('mincore_pte_range', function* (k: Ctx, pmdp: EntryPtr, addr: number, end: number, walk: MmWalk): Program<number> {
  const nr = (end - addr) / PAGE_SIZE;
  // pmd_trans_huge_lock: is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd), then
  // __pmd_trans_huge_lock takes the pmd lock and rechecks
  const swap = (v: number) => !pmd_none(v) && !pmd_present(v);
  const pmdTable = pmdp.kind === 'table' ? pmdp.frame : -1;
  const ptlOf = (frame: number) => k.kernel.memmap.field(frame, 'ptl');
  if (swap(yield* deref(k, pmdp)) || pmd_trans_huge(yield* deref(k, pmdp)) || pmd_devmap(yield* deref(k, pmdp))) {
    const ptl = ptlOf(pmdTable);
    yield* spin_lock(ptl);
    const v = yield* deref(k, pmdp);
    if (swap(v) || pmd_trans_huge(v) || pmd_devmap(v)) {
      fill(walk, nr, 1); // memset(vec, 1, nr)
      yield* spin_unlock(ptl);
      return 0;
    }
    yield* spin_unlock(ptl);
  }
  // pmd_trans_unstable: one pmd_read_atomic
  const u = yield* deref(k, pmdp);
  if (pmd_none(u) || pmd_trans_huge(u)) {
    fill(walk, nr, 0);
    return 0;
  }
  // pte_offset_map_lock: pte_lockptr(mm, pmd) and pte_offset_map(pmd, addr) each read *pmd
  const ptl = ptlOf((offset_lockless(k, 1, yield* deref(k, pmdp), addr) as TablePtr).frame);
  let ptep = offset_lockless(k, 1, yield* deref(k, pmdp), addr) as TablePtr;
  yield* spin_lock(ptl);
  for (; addr !== end; ptep = nextEntry(ptep), addr += PAGE_SIZE) {
    const pte = yield* deref(k, ptep); // pte_t pte = *ptep
    if (pte_none(pte)) fill(walk, 1, 0);
    else if (pte_present(pte)) fill(walk, 1, 1);
    else throw new NotModeled('mincore of a swap pte');
  }
  yield* spin_unlock(ptl);
  return 0;
});

export const mincore_walk_ops: MmWalkOps = {
  name: 'mincore_walk_ops',
  pmd_entry: mincore_pte_range,
  pte_hole: mincore_unmapped_range,
};

/** do_mincore under mmap_read_lock (sys_mincore); returns the residency vector. */
export const sys_mincore = kfunc('sys_mincore', function* (k: Ctx, start: number, len: number): Program<number[]> {
  const priv: MincoreVec = { vec: [] };
  yield* mmap_read_lock(k);
  // do_mincore: vma = find_vma(mm, addr); end = min(vma->vm_end, addr + len)
  const vma = k.kernel.vmas.find((v) => v.end > start && v.start <= start);
  if (vma) yield* walk_page_range(k, start, Math.min(vma.end, start + len), mincore_walk_ops, priv);
  yield* mmap_read_unlock(k);
  yield* note(`mincore vector: [${priv.vec.join(', ')}]`);
  return priv.vec;
});
