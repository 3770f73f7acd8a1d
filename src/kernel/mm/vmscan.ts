/**
 * mm/vmscan.c (v6.18-era linux-next): LRU isolation, and shrink_folio_list for one clean,
 * anonymous, swap-cache folio mapped by one pte (the pass after its swap-out I/O, PAGE_CLEAN):
 * lock, try_to_unmap with a deferred TLB flush, pin check, __remove_mapping (freeze the
 * count, leave the swap cache), unlock, then the batched flush and the free. The refcount is
 * frozen before the TLB flush (the flush is needed before the free, not before the freeze).
 *
 * Not modeled: the early folio_maybe_dma_pinned check before swap allocation (an optimization
 * for folios not yet in the swap cache), folio_check_references, pageout, writeback, memcg,
 * mapping shadows, the lruvec lock and the per-CPU LRU batches.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { local_irq_restore, local_irq_save } from '../sync/irqflags.js';
import { folio_get, folio_ref_count, folio_ref_freeze, folio_ref_unfreeze } from '../sync/refcount.js';
import { guarded } from '../guards.js';
import { raw_write_seqcount_begin, raw_write_seqcount_end } from '../sync/seqcount.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { folio_test_flag, folio_trylock, folio_unlock } from './filemap.js';
import { folio_mapcount, folio_maybe_dma_pinned } from './mm.js';
import { PG_dirty } from './mm_types.js';
import { free_frozen_pages } from './page_alloc.js';
import { TTU_BATCH_FLUSH, try_to_unmap, try_to_unmap_flush } from './rmap.js';
import { __delete_from_swap_cache } from './swap_state.js';
import { folio_test_clear_flag, folio_test_set_flag } from './filemap.js';
import { PG_lru } from './mm_types.js';
import { folio_put } from './swap.js';

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

/** __remove_mapping: freeze the count at 1 (isolation) + nr (swap cache), leave the swap cache. */
const __remove_mapping = kfunc('__remove_mapping', function* (k: Ctx, folio: number): Program<boolean> {
  const lock = k.kernel.swap.lock;
  const irq = yield* local_irq_save(); // xa_lock_irq(&mapping->i_pages)
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

/** shrink_folio_list for one isolated folio; true when it was freed. */
export const shrink_folio_list = kfunc('shrink_folio_list', function* (k: Ctx, folio: number): Program<boolean> {
  if (!(yield* folio_trylock(k, folio))) return false;
  let freed = false;
  keep: {
    if ((yield* folio_mapcount(k, folio)) > 0) {
      const seqcount = k.kernel.has('gup-seqcount');
      if (seqcount) yield* raw_write_seqcount_begin(k.kernel.mm.replace_seq);
      yield* try_to_unmap(k, folio, TTU_BATCH_FLUSH);
      if (seqcount) yield* raw_write_seqcount_end(k.kernel.mm.replace_seq);
      if ((yield* folio_mapcount(k, folio)) > 0) break keep; // activate_locked
    }
    // "Folio is unmapped now so it cannot be newly pinned"
    if (yield* folio_maybe_dma_pinned(k, folio)) break keep;
    if (yield* folio_test_flag(k, folio, PG_dirty)) break keep; // pageout: not this pass
    if (!(yield* __remove_mapping(k, folio))) break keep;
    freed = true;
  }
  yield* folio_unlock(k, folio);
  if (!freed) return false;
  // end of shrink_folio_list: try_to_unmap_flush(); free_unref_folios(&free_folios)
  const flushFirst = guarded(k, 'shrink_folio_list:flush_before_free');
  if (flushFirst) yield* try_to_unmap_flush(k);
  yield* free_frozen_pages(k, folio, 0);
  if (!flushFirst) yield* try_to_unmap_flush(k);
  yield* note(`page ${folio} freed`);
  return true;
});
