/**
 * mm/rmap.c (v6.18-era linux-next) for one anonymous small folio mapped by one pte:
 * try_to_unmap / try_to_unmap_one with the deferred (batched) TLB flush of reclaim, and
 * include/linux/rmap.h folio_try_share_anon_rmap_pte, the writer's half of the GUP-fast
 * protocol: clear the pte, full barrier, check for pins (A1..A4 in its comment).
 *
 * The swap entry written into the pte is folio->swap, the slot shrink_folio_list allocated (or
 * the one the folio already had). A dirty pte makes the folio dirty (so pageout writes it).
 *
 * Not modeled: mmu notifiers, folio_dup_swap's swap-count accounting, mm->tlb_flush_batched
 * (read only by mprotect/munmap's flush_tlb_batched_pending), large folios and PMD mappings,
 * soft-dirty/uffd-wp bits, hwpoison. page_vma_mapped_walk finds the pte from folio->index.
 */
import type { Program } from '../../machine/effects.js';
import { PAGE_SIZE, PGD, PMD } from '../../machine/mmu.js';
import { guarded } from '../guards.js';
import { BUG_ON, type Ctx, kfunc, note } from '../kernel.js';
import { down_read, up_read } from '../sync/rwsem.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { folio_test_clear_flag, folio_test_flag } from './filemap.js';
import { folio_mapcount, folio_maybe_dma_pinned } from './mm.js';
import { PG_anon_exclusive, PG_swapcache } from './mm_types.js';
import { folio_mark_dirty } from './page-writeback.js';
import {
  type TablePtr,
  get_and_clear,
  mk_migration_pte,
  mk_swap_pte,
  offset_lockless,
  pgd_offset,
  pmd_leaf,
  pmd_present,
  pmdp_get_lockless,
  deref,
  is_migration_pte,
  pte_pfn,
  pte_dirty,
  pte_present,
  ptep_get,
  READ_ONCE,
  set_entry,
} from './pgtable.js';
import { leaf } from '../../machine/mmu.js';
import { folio_put } from './swap.js';

export const TTU_BATCH_FLUSH = 0x1;

export type Mapped = { kind: 'pte'; pte: TablePtr; ptl: number } | { kind: 'pmd'; pmd: TablePtr; ptl: number };

/** mm_find_pmd: walk the upper levels to the pmd entry of `address` (each unfolded level one
 * load and a present check; the *_offset that follows derives from the value), or null. */
export const mm_find_pmd = kfunc('mm_find_pmd', function* (k: Ctx, address: number): Program<TablePtr | null> {
  const g = k.kernel.machine.geometry;
  let p = pgd_offset(k, address);
  let v = yield* READ_ONCE(k, p);
  for (let level = PGD - 1; level > PMD; level--) {
    if (!pmd_present(v)) return null;
    if (g.folded(level)) continue;
    p = offset_lockless(k, level, v, address) as TablePtr;
    v = yield* READ_ONCE(k, p);
  }
  if (!pmd_present(v)) return null;
  return offset_lockless(k, PMD, v, address) as TablePtr;
});

/**
 * page_vma_mapped_walk for the page `pfn` at `address`: walk to the pmd; a huge pmd mapping it
 * is returned under the pmd lock; else map the pte table, take the pte lock and check the pte
 * (check_pte: a present pte of the page, or with PVMW_MIGRATION a migration entry for it).
 * Returns the entry with its lock held, or null. (One page per call: the kernel's walk steps
 * through the ptes of a large folio in one go, with the same accesses.)
 */
export const page_vma_mapped_walk = kfunc(
  'page_vma_mapped_walk',
  function* (k: Ctx, pfn: number, address: number, migration = false): Program<Mapped | null> {
    const g = k.kernel.machine.geometry;
    const pmdp = yield* mm_find_pmd(k, address);
    if (!pmdp) return null;
    const pmde = yield* pmdp_get_lockless(k, pmdp);
    if (leaf(pmde)) {
      const ptl = k.kernel.memmap.field(pmdp.frame, 'ptl'); // pmd_lock
      yield* spin_lock(ptl);
      const again = yield* deref(k, pmdp);
      if (pmd_leaf(again) && pte_pfn(again) === pfn - (pfn % g.entries(1))) return { kind: 'pmd', pmd: pmdp, ptl };
      yield* spin_unlock(ptl);
      return null;
    }
    if (!pmd_present(pmde)) return null;
    const pte = offset_lockless(k, 1, pmde, address) as TablePtr; // map_pte
    const ptl = k.kernel.memmap.field(pte.frame, 'ptl');
    yield* spin_lock(ptl);
    const pteval = yield* ptep_get(k, pte); // check_pte
    const match = migration ? is_migration_pte(pteval) : pte_present(pteval);
    if (!match || pte_pfn(pteval) !== pfn) {
      yield* spin_unlock(ptl);
      return null;
    }
    return { kind: 'pte', pte, ptl };
  },
);

/** folio_try_share_anon_rmap_pte: -EBUSY (true) if the folio may be pinned; else clear
 * PageAnonExclusive. The smp_mb pairs with try_grab_folio_fast's smp_mb__after_atomic. */
export const folio_try_share_anon_rmap_pte = kfunc('folio_try_share_anon_rmap_pte', function* (k: Ctx, folio: number, page: number): Program<boolean> {
  if (guarded(k, 'try_to_unmap_one:pin_check') && (yield* folio_maybe_dma_pinned(k, folio))) {
    yield* note(`folio ${folio} may be pinned: back off`);
    return true;
  }
  yield* folio_test_clear_flag(k, page, PG_anon_exclusive);
  return false;
});

/** set_tlb_ubc_flush_pending: queue the flush instead of doing it (arch_tlbbatch_add_pending);
 * a dirty pteval may have a writable TLB entry behind it (tlb_ubc->writable). */
const set_tlb_ubc_flush_pending = kfunc('set_tlb_ubc_flush_pending', function* (k: Ctx, pteval: number, start: number, end: number): Program<void> {
  yield* k.arch.tlbbatch!.add_pending(k, start, end);
  k.tlb_ubc.flush_required = true;
  if (pte_dirty(pteval)) k.tlb_ubc.writable = true;
});

/** try_to_unmap_flush: the deferred flush of everything unmapped since. */
export const try_to_unmap_flush = kfunc('try_to_unmap_flush', function* (k: Ctx): Program<void> {
  if (!k.tlb_ubc.flush_required) return;
  yield* k.arch.tlbbatch!.flush(k);
  k.tlb_ubc.flush_required = false;
  k.tlb_ubc.writable = false;
});

/** try_to_unmap_flush_dirty: the deferred flush, if a writable entry may still be cached
 * (before a dirty folio is written out, so that no CPU writes it during the I/O). */
export const try_to_unmap_flush_dirty = kfunc('try_to_unmap_flush_dirty', function* (k: Ctx): Program<void> {
  if (k.tlb_ubc.writable) yield* try_to_unmap_flush(k);
});

/** should_defer_flush: TTU_BATCH_FLUSH and arch_tlbbatch_should_defer (x86: another CPU may cache the mm). */
function should_defer_flush(k: Ctx, flags: number): boolean {
  if (!(flags & TTU_BATCH_FLUSH) || !k.arch.tlbbatch) return false;
  return k.arch.tlbbatch.should_defer(k);
}

const try_to_unmap_one = kfunc('try_to_unmap_one', function* (k: Ctx, folio: number, address: number, flags: number): Program<boolean> {
  const mm = k.kernel.memmap;
  const walk = yield* page_vma_mapped_walk(k, folio, address);
  if (!walk || walk.kind !== 'pte') return true;
  const { pte, ptl } = walk;
  const anon_exclusive = yield* folio_test_flag(k, folio, PG_anon_exclusive); // PageAnonExclusive(subpage)
  let pteval: number;
  if (should_defer_flush(k, flags)) {
    pteval = yield* get_and_clear(k, pte); // ptep_get_and_clear
    yield* set_tlb_ubc_flush_pending(k, pteval, address, address + PAGE_SIZE);
  } else {
    pteval = yield* get_and_clear(k, pte); // ptep_clear_flush
    yield* k.arch.flush_tlb_range(k, address, address + PAGE_SIZE);
  }
  // "Set the dirty flag on the folio now the PTE is gone."
  if (pte_dirty(pteval)) yield* folio_mark_dirty(k, folio);
  const slot = (yield { op: 'load', addr: mm.field(folio, 'private'), width: 1 }) as number; // page_swap_entry: folio->swap
  // folio_test_swapbacked(folio) != folio_test_swapcache(folio): WARN_ON_ONCE, abort (reclaim
  // adds every anonymous folio to the swap cache before it unmaps it)
  BUG_ON(!(yield* folio_test_flag(k, folio, PG_swapcache)), `try_to_unmap_one: anonymous folio ${folio} is not in the swap cache`);
  if (anon_exclusive && (yield* folio_try_share_anon_rmap_pte(k, folio, folio))) {
    yield* set_entry(k, pte, pteval); // restore the pte
    yield* spin_unlock(ptl);
    return false;
  }
  yield* set_entry(k, pte, mk_swap_pte(slot));
  yield { op: 'add', addr: mm.field(folio, '_mapcount'), delta: -1 }; // folio_remove_rmap_pte
  yield* folio_put(k, folio);
  yield* spin_unlock(ptl);
  return true;
});

/** try_to_unmap: rmap_walk over the folio's anon_vma (one vma here), under its lock. */
export const try_to_unmap = kfunc('try_to_unmap', function* (k: Ctx, folio: number, flags: number): Program<void> {
  const mm = k.kernel.memmap;
  const anon_vma = k.kernel.anonVma.rwsem;
  yield* down_read(anon_vma); // folio_lock_anon_vma_read
  const index = (yield { op: 'load', addr: mm.field(folio, 'index'), width: 1 }) as number;
  yield* try_to_unmap_one(k, folio, index * PAGE_SIZE, flags);
  yield* folio_mapcount(k, folio); // rmap_walk's done(): !folio_mapped
  yield* up_read(anon_vma);
});

/** folio_try_share_anon_rmap_pmd: a PMD-mapped anon folio; -EBUSY (true) if it may be pinned,
 * else clear PageAnonExclusive (of the head; the model keeps the bit per page and clears them all). */
export const folio_try_share_anon_rmap_pmd = kfunc('folio_try_share_anon_rmap_pmd', function* (k: Ctx, folio: number, nr: number): Program<boolean> {
  if (yield* folio_maybe_dma_pinned(k, folio)) {
    yield* note(`folio ${folio} may be pinned: split without freezing`);
    return true;
  }
  for (let i = 0; i < nr; i++) yield* folio_test_clear_flag(k, folio + i, PG_anon_exclusive);
  return false;
});

/** try_to_migrate_one for one pte (the PMD case is split_huge_pmd_locked, in huge_memory.ts). */
export const try_to_migrate_one_pte = kfunc(
  'try_to_migrate_one',
  function* (k: Ctx, folio: number, page: number, address: number, walk: { pte: TablePtr; ptl: number }, flags: number): Program<boolean> {
    const { pte, ptl } = walk;
    const mm = k.kernel.memmap;
    const anon_exclusive = yield* folio_test_flag(k, page, PG_anon_exclusive);
    const pteval = yield* get_and_clear(k, pte);
    if (should_defer_flush(k, flags)) yield* set_tlb_ubc_flush_pending(k, pteval, address, address + PAGE_SIZE);
    else yield* k.arch.flush_tlb_range(k, address, address + PAGE_SIZE); // ptep_clear_flush
    if (anon_exclusive && (yield* folio_try_share_anon_rmap_pte(k, folio, page))) {
      yield* set_entry(k, pte, pteval);
      yield* spin_unlock(ptl);
      return false;
    }
    yield* set_entry(k, pte, mk_migration_pte(page, (pteval & 0x2) !== 0));
    yield { op: 'add', addr: mm.field(folio, '_mapcount'), delta: -1 }; // folio_remove_rmap_pte
    yield* folio_put(k, folio);
    yield* spin_unlock(ptl);
    return true;
  },
);
