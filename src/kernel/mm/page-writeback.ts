/** mm/page-writeback.c: marking a folio dirty. */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_test_clear_flag, folio_test_flag, folio_test_set_flag } from './filemap.js';
import { PG_dirty, PG_reclaim, PG_swapcache } from './mm_types.js';

/**
 * folio_mark_dirty for an anonymous folio: folio_mapping (the swap cache's address_space when
 * PG_swapcache, else none), PG_reclaim cleared, then the swap space's noop_dirty_folio
 * (test, then test-and-set PG_dirty), which is also what a folio with no mapping gets.
 */
export const folio_mark_dirty = kfunc('folio_mark_dirty', function* (k: Ctx, folio: number): Program<void> {
  const mapping = yield* folio_test_flag(k, folio, PG_swapcache); // folio_mapping
  if (mapping && (yield* folio_test_flag(k, folio, PG_reclaim))) yield* folio_test_clear_flag(k, folio, PG_reclaim);
  if (!(yield* folio_test_flag(k, folio, PG_dirty))) yield* folio_test_set_flag(k, folio, PG_dirty); // noop_dirty_folio
});
