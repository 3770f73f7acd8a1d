/**
 * mm/swap_state.c: the swap cache, reduced to one word per swap slot holding pfn + 1.
 *
 * Two versions, by the 'swap-table' patch (8578e0c00dcf, v6.18):
 *  - before it, the swap cache is the swapper_space xarray under its xa_lock, and
 *    add_to_swap_cache takes the swap cache's references, sets PG_swapcache and folio->swap
 *    before it takes the lock to store the folio;
 *  - from it, the swap cache is the cluster's swap table under the cluster lock, and
 *    swap_cache_add_folio stores the folio and then takes the references, PG_swapcache and
 *    folio->swap, all under that lock.
 * The xarray's node allocation (xas_nomem) and shadow entries are not modeled: adding cannot fail.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { local_irq_restore, local_irq_save } from '../sync/irqflags.js';
import { folio_ref_add } from '../sync/refcount.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { folio_test_clear_flag, folio_test_set_flag } from './filemap.js';
import { PG_swapcache } from './mm_types.js';
import { folio_mark_dirty } from './page-writeback.js';
import { swap_alloc } from './swapfile.js';

/** The lock that guards the swap cache at this version (xa_lock, or the cluster lock). */
export function swap_cache_lock(k: Ctx): number {
  return k.kernel.has('swap-table') ? k.kernel.swap.ci_lock : k.kernel.swap.lock;
}

function* set_folio_swap(k: Ctx, folio: number, slot: number): Program<void> {
  yield* folio_ref_add(k.kernel, folio, 1); // folio_ref_add(folio, nr): small folios only
  yield* folio_test_set_flag(k, folio, PG_swapcache); // folio_set_swapcache
  yield { op: 'store', addr: k.kernel.memmap.field(folio, 'private'), width: 1, value: slot }; // folio->swap = entry
}

/** add_to_swap_cache (v6.6 .. v6.17): references, flag and entry first, then the xarray store
 * under xa_lock_irq. */
export const add_to_swap_cache = kfunc('add_to_swap_cache', function* (k: Ctx, folio: number, slot: number): Program<void> {
  yield* set_folio_swap(k, folio, slot);
  const irq = yield* local_irq_save(); // xas_lock_irq
  yield* spin_lock(k.kernel.swap.lock);
  yield { op: 'store', addr: k.kernel.swap.cache + slot, width: 1, value: folio + 1 }; // xas_store
  yield* spin_unlock(k.kernel.swap.lock);
  yield* local_irq_restore(irq);
});

/** swap_cache_add_folio (v6.18): under the cluster lock, the swap table entry
 * (__swap_table_xchg), then references, flag and entry. */
export const swap_cache_add_folio = kfunc('swap_cache_add_folio', function* (k: Ctx, folio: number, slot: number): Program<void> {
  const lock = k.kernel.swap.ci_lock;
  yield* spin_lock(lock); // swap_cluster_lock
  yield { op: 'xchg', addr: k.kernel.swap.cache + slot, width: 1, value: folio + 1 };
  yield* set_folio_swap(k, folio, slot);
  yield* spin_unlock(lock);
});

/** add_to_swap (v6.6; from v6.16 shrink_folio_list calls folio_alloc_swap and folio_mark_dirty
 * itself, with the same accesses): a swap slot, the swap cache, and the folio marked dirty
 * ("Normally the folio will be dirtied in unmap because its pte should be dirty. A special case
 * is MADV_FREE page"), so that pageout writes it. False when no slot is free. */
export const add_to_swap = kfunc('add_to_swap', function* (k: Ctx, folio: number): Program<boolean> {
  const slot = yield* swap_alloc(k); // folio_alloc_swap
  if (slot < 0) return false;
  yield* add_to_swap_cache(k, folio, slot);
  yield* folio_mark_dirty(k, folio);
  return true;
});

/** __delete_from_swap_cache / __swap_cache_del_folio: empty the slot, clear PG_swapcache (the
 * caller holds the swap cache lock and the frozen count; the swap cache's references die with
 * the freeze). */
export const __delete_from_swap_cache = kfunc('__delete_from_swap_cache', function* (k: Ctx, folio: number): Program<void> {
  const mm = k.kernel.memmap;
  const slot = (yield { op: 'load', addr: mm.field(folio, 'private'), width: 1 }) as number;
  yield { op: 'store', addr: k.kernel.swap.cache + slot, width: 1, value: 0 };
  yield* folio_test_clear_flag(k, folio, PG_swapcache);
});
