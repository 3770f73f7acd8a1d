/**
 * mm/swapfile.c: allocating a swap slot for a folio (folio_alloc_swap), for one swap device of
 * `k.kernel.swap.slots` slots in one cluster.
 *
 * v6.6 (mm/swap_slots.c folio_alloc_swap -> get_swap_pages -> scan_swap_map_slots) and v6.18
 * (swap_alloc_fast / swap_alloc_slow -> alloc_swap_scan_cluster) both scan the cluster's
 * swap_map under the cluster lock and mark the slot they take SWAP_HAS_CACHE
 * (cluster_alloc_range), which keeps any other allocator off it until the swap cache lets go.
 *
 * Simplifications: the scan starts at slot 0 (the per-CPU cluster and its next offset, v6.6's
 * per-CPU swap slots cache, si->lock and the device list are not modeled); swap counts are not
 * kept (try_to_unmap_one's folio_dup_swap / swap_duplicate, put_swap_folio after
 * __remove_mapping): a slot once allocated stays allocated for the rest of the execution,
 * which is what the pte holding its swap entry would do anyway; no memcg swap charge.
 */
import type { Program } from '../../machine/effects.js';
import { SWAP_HAS_CACHE } from '../boot.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { swap_cache_add_folio } from './swap_state.js';

/** The slot allocation shared by both versions: the first free slot, marked SWAP_HAS_CACHE, or
 * -1 when the device is full. */
export const swap_alloc = kfunc('swap_alloc_fast', function* (k: Ctx): Program<number> {
  const { map, slots, ci_lock } = k.kernel.swap;
  yield* spin_lock(ci_lock); // swap_cluster_lock
  let found = -1;
  for (let slot = 0; slot < slots && found < 0; slot++) {
    // cluster_scan_range: a free slot has swap_map 0
    if (((yield { op: 'load', addr: map + slot, width: 1 }) as number) !== 0) continue;
    yield { op: 'store', addr: map + slot, width: 1, value: SWAP_HAS_CACHE }; // cluster_alloc_range
    found = slot;
  }
  yield* spin_unlock(ci_lock);
  if (found < 0) yield* note('no free swap slot');
  return found;
});

/** folio_alloc_swap (v6.18, 'swap-table'): allocate a slot and add the folio to the swap cache;
 * 0, or -ENOMEM (-1) when no slot is free. */
export const folio_alloc_swap = kfunc('folio_alloc_swap', function* (k: Ctx, folio: number): Program<number> {
  const slot = yield* swap_alloc(k);
  if (slot < 0) return -1;
  yield* swap_cache_add_folio(k, folio, slot);
  return 0;
});
