/** mm/swap_state.c: the swap cache (swapper_space), reduced to one word per swap slot. */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_test_clear_flag } from './filemap.js';
import { PG_swapcache } from './mm_types.js';

/** __delete_from_swap_cache: empty the slot, clear PG_swapcache (the caller holds the xa_lock
 * and the frozen count; the swap cache's references die with the freeze). */
export const __delete_from_swap_cache = kfunc('__delete_from_swap_cache', function* (k: Ctx, folio: number): Program<void> {
  const mm = k.kernel.memmap;
  const slot = (yield { op: 'load', addr: mm.field(folio, 'private'), width: 1 }) as number;
  yield { op: 'store', addr: k.kernel.swap.cache + slot, width: 1, value: 0 };
  yield* folio_test_clear_flag(k, folio, PG_swapcache);
});
