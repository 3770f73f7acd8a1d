/** mm/vmscan.c (LRU isolation used by khugepaged; reclaim comes with the reclaim family). */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_get } from '../sync/refcount.js';
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
