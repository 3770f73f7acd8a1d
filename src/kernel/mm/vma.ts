/**
 * mm/vma.c (v6.12-v6.18): munmap (do_vmi_munmap -> do_vmi_align_munmap) and the MAP_FIXED
 * part of __mmap_region, built on the vms_* helpers: gather the old vmas (write-lock and mark
 * them detached; they stay in the tree), clear their ptes and free their page tables
 * (vms_clear_ptes: tlb_gather_mmu, unmap_vmas, free_pgtables, tlb_finish_mmu), store the new
 * vma or a hole, complete.
 *
 * Toggles:
 *  - 'mmap-no-tree-zeroing' (f8d112a4e657, v6.12): before it, mmap_region went through
 *    do_vmi_munmap and punched the old range out of the tree (vma_iter_clear_gfp) before the
 *    ptes were cleared and the page tables freed;
 *  - 'mmap-clear-ptes-before-store' (79f3d123caed, v6.12): vms_clean_up_area clears ptes and
 *    frees page tables before the new vma is stored (without it, with f8d112a4e657, that
 *    happened in vms_complete_munmap_vmas, after the store).
 *
 * Simplifications: ranges are whole vmas (no __split_vma); one vma is replaced; accounting,
 * mmap hooks, vma merging, file/rmap linking, userfaultfd and the error paths are not
 * modeled; remove_vma / vm_area_free are not steps (see vma_tree.ts). Ghost: the unmapped range
 * is recorded in ghost.userUnmaps (a user-initiated unmap, for oracle 1).
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { unmap_vmas, free_pgtables } from './memory.js';
import { tlb_finish_mmu, tlb_gather_mmu } from './mmu_gather.js';
import { mmap_read_unlock, mmap_write_downgrade, mmap_write_unlock, vma_mark_detached, vma_start_write } from './mmap_lock.js';
import { type VmaStruct, vma_find, vma_iter_store, vma_prev_next, vma_read } from './vma_tree.js';

/** struct vma_munmap_struct, on the caller's stack. */
export interface VmaMunmap {
  start: number;
  end: number;
  vmas: VmaStruct[]; // mas_detach
  unmap_start: number;
  unmap_end: number;
  clear_ptes: boolean;
}

/** vms_gather_munmap_vmas: write-lock each vma in the range and mark it detached. It stays in
 * mm->mm_mt (RCU readers can still find it); it goes into the side tree mas_detach. */
export const vms_gather_munmap_vmas = kfunc('vms_gather_munmap_vmas', function* (k: Ctx, vms: VmaMunmap, first: VmaStruct): Program<void> {
  // first and only vma of the range (no __split_vma: whole vmas)
  yield* vma_start_write(k, first);
  vms.vmas.push(first); // mas_store_gfp(mas_detach, next)
  yield* vma_mark_detached(k, first, true);
  const { prev, next } = yield* vma_prev_next(k, vms.start, vms.end);
  // unmap_start/unmap_end: the page-table floor and ceiling
  vms.unmap_start = prev ? yield* vma_read(k, prev.vm_end) : 0; // FIRST_USER_ADDRESS
  vms.unmap_end = next ? yield* vma_read(k, next.vm_start) : 0; // USER_PGTABLES_CEILING
  vms.clear_ptes = true;
});

/** vms_clear_ptes: zap the ptes, free the page tables, flush, free. */
export const vms_clear_ptes = kfunc('vms_clear_ptes', function* (k: Ctx, vms: VmaMunmap, mm_wr_locked: boolean): Program<void> {
  if (!vms.clear_ptes) return;
  const tlb = yield* tlb_gather_mmu(k);
  yield* unmap_vmas(k, tlb, vms.vmas, vms.start, vms.end);
  yield* free_pgtables(k, tlb, vms.vmas, vms.unmap_start, vms.unmap_end, mm_wr_locked);
  yield* tlb_finish_mmu(k, tlb);
  vms.clear_ptes = false;
});

/** vms_complete_munmap_vmas: "point of no return": [downgrade], clear ptes if not yet done,
 * remove the vmas (not modeled), [mmap_read_unlock]. */
export const vms_complete_munmap_vmas = kfunc('vms_complete_munmap_vmas', function* (k: Ctx, vms: VmaMunmap, unlock: boolean): Program<void> {
  if (unlock) yield* mmap_write_downgrade(k);
  yield* vms_clear_ptes(k, vms, !unlock);
  // remove_vma for each detached vma: not modeled
  if (unlock) yield* mmap_read_unlock(k);
});

/** do_vmi_munmap -> do_vmi_align_munmap (mmap_write_lock held; unlock: downgrade and drop it). */
export const do_vmi_munmap = kfunc('do_vmi_munmap', function* (k: Ctx, start: number, len: number, unlock: boolean): Program<number> {
  const end = start + len;
  const vma = yield* vma_find(k, start, end);
  if (!vma) {
    if (unlock) yield* mmap_write_unlock(k);
    return 0;
  }
  k.kernel.ghost.userUnmaps.push({ start, end });
  const vms: VmaMunmap = { start, end, vmas: [], unmap_start: 0, unmap_end: 0, clear_ptes: false };
  yield* vms_gather_munmap_vmas(k, vms, vma);
  yield* vma_iter_store(k, start, end, null); // vma_iter_clear_gfp: the vmas leave mm_mt
  yield* vms_complete_munmap_vmas(k, vms, unlock);
  return 0;
});

/**
 * __mmap_region for MAP_FIXED over an existing mapping [addr, addr+len), an anonymous private
 * mapping `vma` (its struct allocated by vm_area_alloc). mmap_write_lock held by the caller.
 */
export const __mmap_region = kfunc('__mmap_region', function* (k: Ctx, addr: number, len: number, vma: VmaStruct): Program<number> {
  const end = addr + len;
  if (!k.kernel.has('mmap-no-tree-zeroing')) {
    // before f8d112a4e657: do_vmi_munmap(..., unlock=false) first: the range becomes a hole
    yield* note('old form: do_vmi_munmap punches the range out of the tree first');
    yield* do_vmi_munmap(k, addr, len, false);
  } else {
    // __mmap_prepare
    const old = yield* vma_find(k, addr, end);
    const vms: VmaMunmap = { start: addr, end, vmas: [], unmap_start: 0, unmap_end: 0, clear_ptes: false };
    if (old) {
      k.kernel.ghost.userUnmaps.push({ start: addr, end });
      yield* vms_gather_munmap_vmas(k, vms, old);
      if (k.kernel.has('mmap-clear-ptes-before-store')) yield* vms_clean_up_area(k, vms);
    }
    yield* __mmap_new_vma(k, addr, end, vma);
    // __mmap_complete -> vms_complete_munmap_vmas (no downgrade)
    if (old) yield* vms_complete_munmap_vmas(k, vms, false);
    return addr;
  }
  yield* __mmap_new_vma(k, addr, end, vma);
  return addr;
});

/** vms_clean_up_area: "Clear PTEs while the vma is still in the tree". */
const vms_clean_up_area = kfunc('vms_clean_up_area', function* (k: Ctx, vms: VmaMunmap): Program<void> {
  yield* vms_clear_ptes(k, vms, true);
  // vma_close for each: not modeled (anonymous)
});

/** __mmap_new_vma: set the range, write-lock the new vma, publish it in the tree (RCU). */
const __mmap_new_vma = kfunc('__mmap_new_vma', function* (k: Ctx, addr: number, end: number, vma: VmaStruct): Program<void> {
  yield { op: 'store', addr: vma.vm_start, width: 1, value: addr }; // vma_set_range
  yield { op: 'store', addr: vma.vm_end, width: 1, value: end };
  yield* vma_start_write(k, vma); // "Lock the VMA since it is modified after insertion"
  yield* vma_iter_store(k, addr, end, vma); // (v6.12: attached since vma_init; v6.14+ attaches here)
});
