/**
 * include/linux/mmap_lock.h and mm/mmap_lock.c: mm->mmap_lock (a rwsem) and the per-VMA locks,
 * modeled on v6.12 (vma->vm_lock rwsem + vm_lock_seq + the `detached` flag; the v6.15 vm_refcnt
 * rework folds the detached state into the count, same ordering argument).
 *
 * vma_end_write_all runs on every mmap_write_unlock / mmap_write_downgrade when the scenario has
 * a VMA tree (every kernel does it; families without a VMA tree skip it and its step).
 *
 * Simplifications: vma_start_write's down_write/up_write of vm_lock is kept (it waits out
 * readers); the lockdep/mmap_assert checks are not modeled; mmap_write_downgrade is one store
 * of "one reader" into the rwsem word (atomic, like downgrade_write).
 */
import { LoopBound, type Program } from '../../machine/effects.js';
import { guarded } from '../guards.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { down_read, down_write, up_read, up_write } from '../sync/rwsem.js';
import { type VmaStruct, mas_walk, vmaTree, vma_read } from './vma_tree.js';

/** How often lock_vma_under_rcu may retry a detached vma before the execution is cut. */
export const LOCK_VMA_RETRIES = 2;

export const mmap_read_lock = (k: Ctx): Program<void> => down_read(k.kernel.mm.mmap_lock);
export const mmap_read_unlock = (k: Ctx): Program<void> => up_read(k.kernel.mm.mmap_lock);
export const mmap_write_lock = (k: Ctx): Program<void> => down_write(k.kernel.mm.mmap_lock);

/** vma_end_write_all: WRITE_ONCE(mm->mm_lock_seq, mm->mm_lock_seq + 1): every vma write lock
 * taken under this mmap_lock is released at once. */
export const vma_end_write_all = kfunc('vma_end_write_all', function* (k: Ctx): Program<void> {
  const t = vmaTree(k.kernel);
  if (!t) return;
  const seq = (yield { op: 'load', addr: t.mm_lock_seq, width: 1 }) as number;
  yield { op: 'store', addr: t.mm_lock_seq, width: 1, value: seq + 1 };
});

export function* mmap_write_unlock(k: Ctx): Program<void> {
  if (vmaTree(k.kernel)) yield* vma_end_write_all(k);
  yield* up_write(k.kernel.mm.mmap_lock);
}

/** mmap_write_downgrade: vma_end_write_all, then downgrade_write (writer -> one reader). */
export const mmap_write_downgrade = kfunc('mmap_write_downgrade', function* (k: Ctx): Program<void> {
  yield* vma_end_write_all(k);
  yield { op: 'store', addr: k.kernel.mm.mmap_lock, width: 1, value: 1 };
});

/** vma_start_write (v6.12): if not already write-locked under this mmap_lock, take vm_lock for
 * write (waits out readers), set vm_lock_seq = mm_lock_seq, release vm_lock. */
export const vma_start_write = kfunc('vma_start_write', function* (k: Ctx, vma: VmaStruct): Program<void> {
  const t = vmaTree(k.kernel)!;
  // __is_vma_write_locked: mmap_lock is held for write, so mm_lock_seq is stable
  const mm_lock_seq = yield* vma_read(k, t.mm_lock_seq);
  if ((yield* vma_read(k, vma.vm_lock_seq)) === mm_lock_seq) return;
  const wait = guarded(k, 'vma_start_write:wait_readers');
  if (wait) yield* down_write(vma.vm_lock);
  yield { op: 'store', addr: vma.vm_lock_seq, width: 1, value: mm_lock_seq };
  if (wait) yield* up_write(vma.vm_lock);
});

/** vma_mark_detached(vma, true): WRITE_ONCE(vma->detached, true) (v6.12; the vma is write-locked). */
export const vma_mark_detached = kfunc('vma_mark_detached', function* (k: Ctx, vma: VmaStruct, detached: boolean): Program<void> {
  yield { op: 'store', addr: vma.detached, width: 1, value: detached ? 1 : 0 };
});

/**
 * vma_start_read (v6.12): the cheap vm_lock_seq check, down_read_trylock(vm_lock), and the
 * recheck of vm_lock_seq under it. False: write-locked (the caller falls back to mmap_lock).
 */
export const vma_start_read = kfunc('vma_start_read', function* (k: Ctx, vma: VmaStruct): Program<boolean> {
  const t = vmaTree(k.kernel)!;
  const seqCheck = guarded(k, 'vma_start_read:vm_lock_seq');
  if (seqCheck && (yield* vma_read(k, vma.vm_lock_seq)) === (yield* vma_read(k, t.mm_lock_seq))) return false;
  // down_read_trylock: atomic_add_unless(count, 1, writer)
  const ok = (yield { op: 'add_unless', addr: vma.vm_lock, delta: 1, unless: -1 }) as boolean;
  if (!ok) return false;
  if (seqCheck && (yield* vma_read(k, vma.vm_lock_seq)) === (yield* vma_read(k, t.mm_lock_seq))) {
    yield* up_read(vma.vm_lock);
    return false;
  }
  return true;
});

export const vma_end_read = kfunc('vma_end_read', function* (k: Ctx, vma: VmaStruct): Program<void> {
  yield* up_read(vma.vm_lock);
});

/**
 * lock_vma_under_rcu (mm/memory.c, v6.12): find the vma under RCU, read-lock it, check it was
 * not detached after we found it ('vma-detached-check'), recheck the address. NULL: the caller
 * falls back to mmap_lock. The retry on a detached vma is bounded (LOCK_VMA_RETRIES).
 */
export const lock_vma_under_rcu = kfunc('lock_vma_under_rcu', function* (k: Ctx, address: number): Program<VmaStruct | null> {
  yield* rcu_read_lock();
  for (let tries = 0; ; tries++) {
    if (tries > LOCK_VMA_RETRIES) {
      throw new LoopBound('lock_vma_under_rcu');
    }
    const vma = yield* mas_walk(k, address);
    if (!vma) break; // inval
    if (!(yield* vma_start_read(k, vma))) break; // inval
    // "Check if the VMA got isolated after we found it"
    if (k.kernel.has('vma-detached-check') && (yield* vma_read(k, vma.detached))) {
      yield* vma_end_read(k, vma);
      yield* note(`vma ${vma.name} was detached after mas_walk found it: retry`);
      continue; // VMA_LOCK_MISS
    }
    if (guarded(k, 'lock_vma_under_rcu:address_recheck') && (address < (yield* vma_read(k, vma.vm_start)) || address >= (yield* vma_read(k, vma.vm_end)))) {
      yield* vma_end_read(k, vma);
      break; // inval_end_read
    }
    yield* rcu_read_unlock();
    return vma;
  }
  yield* rcu_read_unlock();
  yield* note('no stable vma under RCU: fall back to mmap_lock');
  return null; // VMA_LOCK_ABORT
});

