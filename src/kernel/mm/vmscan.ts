/**
 * mm/vmscan.c (v6.6 and v6.18): LRU isolation, and shrink_folio_list for one small anonymous
 * folio mapped by one pte.
 *
 * A folio not yet in the swap cache is first given a swap slot and added to the swap cache
 * (add_to_swap at v6.6, folio_alloc_swap from v6.16; swap_state.ts), unless it may be pinned,
 * and marked dirty. Then: try_to_unmap with a deferred TLB flush, the pin check, and for a dirty
 * folio the flush of writable entries and pageout, which writes it to a swap device that
 * completes synchronously (zswap or zram: page_io.ts), so that the folio is clean when pageout
 * returns; then __remove_mapping (freeze the count, leave the swap cache), unlock, the batched
 * flush and the free. The refcount is frozen before the final TLB flush (that flush is needed
 * before the free, not before the freeze).
 *
 * A clean folio already in the swap cache (after a swap-in, as the catalog's reclaim rows start)
 * skips the allocation and pageout. On a device with asynchronous writes pageout would leave the
 * folio under writeback and shrink_folio_list would keep it for a later pass: a subset of the
 * behaviours modeled here (the folio is never freed in this pass).
 *
 * Not modeled: folio_check_references, the writeback checks (no modeled path sets
 * PG_writeback), demotion, large folios (THP swap-out and splitting), MADV_FREE (lazyfree)
 * folios, the gfp checks (__GFP_IO is set for kswapd), folio_mapping's flag read, memcg,
 * mapping shadows (workingset_eviction), the lruvec lock and the per-CPU LRU batches.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { local_irq_restore, local_irq_save } from '../sync/irqflags.js';
import { folio_get, folio_ref_count, folio_ref_freeze, folio_ref_try_add, folio_ref_unfreeze } from '../sync/refcount.js';
import { guarded } from '../guards.js';
import { raw_write_seqcount_begin, raw_write_seqcount_end } from '../sync/seqcount.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { folio_test_clear_flag, folio_test_flag, folio_test_set_flag, folio_trylock, folio_unlock } from './filemap.js';
import { folio_mapcount, folio_maybe_dma_pinned } from './mm.js';
import { PG_dirty, PG_lru, PG_reclaim, PG_swapcache } from './mm_types.js';
import { free_frozen_pages } from './page_alloc.js';
import { swap_writeout } from './page_io.js';
import { folio_mark_dirty } from './page-writeback.js';
import { TTU_BATCH_FLUSH, try_to_unmap, try_to_unmap_flush, try_to_unmap_flush_dirty } from './rmap.js';
import { __delete_from_swap_cache, add_to_swap, swap_cache_lock } from './swap_state.js';
import { folio_alloc_swap } from './swapfile.js';
import { folio_put } from './swap.js';

/** isolate_lru_folios for one folio, as kswapd's shrink_inactive_list finds it on the LRU:
 * folio_test_lru, folio_try_get ("Be careful not to clear the lru flag until after we're sure
 * the folio is not being freed elsewhere"), folio_test_clear_lru (else put it back). A folio
 * freed meanwhile has a zero count, or (reused) no PG_lru: free_pages_prepare clears its flags
 * where the kernel's __folio_put takes it off the LRU. (The lruvec lock is not modeled.) */
export const isolate_lru_folios = kfunc('isolate_lru_folios', function* (k: Ctx, folio: number): Program<boolean> {
  if (!(yield* folio_test_flag(k, folio, PG_lru))) return false;
  if (!(yield* folio_ref_try_add(k.kernel, folio, 1))) return false; // folio_try_get
  if (yield* folio_test_clear_flag(k, folio, PG_lru)) return true;
  yield* folio_put(k, folio); // "Another thread is already isolating this folio"
  return false;
});

/** folio_isolate_lru: folio_test_clear_lru, then folio_get. (The lruvec lock is not modeled:
 * only LRU walkers take it, and none runs here.) */
export const folio_isolate_lru = kfunc('folio_isolate_lru', function* (k: Ctx, folio: number): Program<boolean> {
  if (!(yield* folio_test_clear_flag(k, folio, PG_lru))) return false;
  yield* folio_get(k.kernel, folio);
  return true;
});

/** folio_putback_lru: back on the LRU, then drop the isolation reference. (The per-CPU
 * folio_batch that holds an extra reference until drained is not modeled.) */
export const folio_putback_lru = kfunc('folio_putback_lru', function* (k: Ctx, folio: number): Program<void> {
  yield* folio_test_set_flag(k, folio, PG_lru);
  yield* folio_put(k, folio);
});

/** __remove_mapping: under the swap cache's lock, freeze the count at 1 (isolation) + nr (swap
 * cache), and leave the swap cache. */
const __remove_mapping = kfunc('__remove_mapping', function* (k: Ctx, folio: number): Program<boolean> {
  const lock = swap_cache_lock(k);
  const irq = yield* local_irq_save(); // xa_lock_irq / swap_cluster_get_and_lock_irq
  yield* spin_lock(lock);
  const refcount = 1 + 1; // 1 + folio_nr_pages
  let ok = guarded(k, '__remove_mapping:freeze')
    ? yield* folio_ref_freeze(k.kernel, folio, refcount)
    : (yield* folio_ref_count(k.kernel, folio)) === refcount;
  if (!ok) yield* note(`folio ${folio}: refcount is not ${refcount}, cannot free`);
  else if (yield* folio_test_flag(k, folio, PG_dirty)) {
    yield* folio_ref_unfreeze(k.kernel, folio, refcount);
    ok = false;
  } else yield* __delete_from_swap_cache(k, folio);
  yield* spin_unlock(lock);
  yield* local_irq_restore(irq);
  return ok;
});

type PageoutResult = 'PAGE_KEEP' | 'PAGE_SUCCESS' | 'PAGE_CLEAN';

/** pageout of a dirty swap-cache folio: is_page_cache_freeable (only the isolation's and the
 * swap cache's references), folio_clear_dirty_for_io (the swap space has no writeback
 * accounting: a test-and-clear of PG_dirty), PG_reclaim around the write, swap_writeout (which
 * unlocks the folio). */
const pageout = kfunc('pageout', function* (k: Ctx, folio: number): Program<PageoutResult> {
  if ((yield* folio_ref_count(k.kernel, folio)) !== 1 + 1) return 'PAGE_KEEP'; // is_page_cache_freeable
  if (!(yield* folio_test_clear_flag(k, folio, PG_dirty))) return 'PAGE_CLEAN';
  yield* folio_test_set_flag(k, folio, PG_reclaim); // folio_set_reclaim
  yield* swap_writeout(k, folio);
  // "synchronous write?": not under writeback, so no end-of-writeback will clear PG_reclaim
  yield* folio_test_clear_flag(k, folio, PG_reclaim);
  return 'PAGE_SUCCESS';
});

/** The swap slot and swap cache for an anonymous folio not yet in it; false: keep the folio. */
function* swap_out_prepare(k: Ctx, folio: number): Program<boolean> {
  if (yield* folio_maybe_dma_pinned(k, folio)) return false; // keep_locked
  if (!k.kernel.has('swap-table')) return yield* add_to_swap(k, folio); // activate_locked
  if ((yield* folio_alloc_swap(k, folio)) !== 0) return false; // activate_locked_split
  yield* folio_mark_dirty(k, folio);
  return true;
}

/** shrink_folio_list for one isolated folio; true when it was freed. */
export const shrink_folio_list = kfunc('shrink_folio_list', function* (k: Ctx, folio: number): Program<boolean> {
  if (!(yield* folio_trylock(k, folio))) return false;
  let locked = true;
  let freed = false;
  keep: {
    // "Anonymous process memory has backing store? Try to allocate it some swap space here."
    if (!(yield* folio_test_flag(k, folio, PG_swapcache)) && !(yield* swap_out_prepare(k, folio))) break keep;
    if ((yield* folio_mapcount(k, folio)) > 0) {
      const seqcount = k.kernel.has('gup-seqcount');
      if (seqcount) yield* raw_write_seqcount_begin(k.kernel.mm.replace_seq);
      yield* try_to_unmap(k, folio, TTU_BATCH_FLUSH);
      if (seqcount) yield* raw_write_seqcount_end(k.kernel.mm.replace_seq);
      if ((yield* folio_mapcount(k, folio)) > 0) break keep; // activate_locked
    }
    // "Folio is unmapped now so it cannot be newly pinned"
    if (yield* folio_maybe_dma_pinned(k, folio)) break keep;
    if (yield* folio_test_flag(k, folio, PG_dirty)) {
      yield* try_to_unmap_flush_dirty(k); // no CPU may write the folio while it is written out
      const r = yield* pageout(k, folio);
      if (r === 'PAGE_KEEP') break keep; // keep_locked
      if (r === 'PAGE_SUCCESS') {
        locked = false; // swap_writeout unlocked it
        if (yield* folio_test_flag(k, folio, PG_dirty)) break keep;
        // "A synchronous write - probably a ramdisk. Go ahead and try to reclaim the folio."
        if (!(yield* folio_trylock(k, folio))) break keep;
        locked = true;
        if (yield* folio_test_flag(k, folio, PG_dirty)) break keep; // keep_locked
      }
    }
    if (!(yield* __remove_mapping(k, folio))) break keep;
    freed = true;
  }
  if (locked) yield* folio_unlock(k, folio);
  if (!freed) return false;
  // end of shrink_folio_list: try_to_unmap_flush(); free_unref_folios(&free_folios)
  const flushFirst = guarded(k, 'shrink_folio_list:flush_before_free');
  if (flushFirst) yield* try_to_unmap_flush(k);
  yield* free_frozen_pages(k, folio, 0);
  if (!flushFirst) yield* try_to_unmap_flush(k);
  yield* note(`page ${folio} freed`);
  return true;
});
