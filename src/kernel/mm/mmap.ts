/**
 * mm/mmap.c (v6.12-v6.18): the system-call level of munmap and mmap(MAP_FIXED), and the
 * per-VMA-lock page fault (arch/x86/mm/fault.c do_user_addr_fault / arm64 do_page_fault:
 * lock_vma_under_rcu first, else lock_mm_and_find_vma and the fault under mmap_lock).
 *
 * Simplifications: no permission checks (the vmas are read-write anonymous), no
 * VM_FAULT_RETRY loop beyond one fallback, no signal / OOM handling; the mmap is anonymous
 * private (no file, no get_unmapped_area: MAP_FIXED).
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { handle_mm_fault } from './memory.js';
import { lock_vma_under_rcu, mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock, vma_end_read } from './mmap_lock.js';
import { __mmap_region, do_vmi_munmap } from './vma.js';
import { type VmaStruct, mas_walk, vma_read } from './vma_tree.js';

/** __vm_munmap(start, len, unlock=true): munmap(2). */
export const __vm_munmap = kfunc('__vm_munmap', function* (k: Ctx, start: number, len: number): Program<number> {
  yield* mmap_write_lock(k);
  // do_vmi_munmap with unlock: downgrades to mmap_lock read and drops it itself
  return yield* do_vmi_munmap(k, start, len, true);
});

/** do_mmap(MAP_FIXED) -> mmap_region -> __mmap_region, with `vma` the new vma's struct. */
export const mmap_fixed = kfunc('do_mmap', function* (k: Ctx, addr: number, len: number, vma: VmaStruct): Program<number> {
  yield* mmap_write_lock(k);
  const r = yield* __mmap_region(k, addr, len, vma);
  yield* mmap_write_unlock(k);
  return r;
});

/** The user fault at `address` (a write): the per-VMA lock path, else mmap_lock. */
export const do_user_addr_fault = kfunc('do_user_addr_fault', function* (k: Ctx, address: number): Program<string> {
  // the per-VMA lock attempt exists from v6.4 (0bff0aaea03e on x86); before, straight to mmap_lock
  const vma = k.kernel.has('per-vma-lock') ? yield* lock_vma_under_rcu(k, address) : null;
  if (vma) {
    const r = yield* handle_mm_fault(k, vma, address);
    yield* vma_end_read(k, vma);
    if (r !== 'VM_FAULT_RETRY') return r;
  }
  // lock_mm_and_find_vma
  yield* mmap_read_lock(k);
  const v = yield* mas_walk(k, address); // find_vma
  let r = 'VM_FAULT_SIGSEGV';
  if (v && address >= (yield* vma_read(k, v.vm_start))) r = yield* handle_mm_fault(k, v, address);
  else yield* note('bad_area: no vma');
  yield* mmap_read_unlock(k);
  return r;
});
