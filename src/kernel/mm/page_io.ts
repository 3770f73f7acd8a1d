/**
 * mm/page_io.c: swap_writeout (v6.18; swap_writepage in v6.6) of a swap-cache folio, on a swap
 * device that completes the write before returning: zswap storing the folio (zswap_store), or
 * zram (SWP_SYNCHRONOUS_IO). Then pageout finds the folio clean and not under writeback, and
 * shrink_folio_list frees it in the same pass ("A synchronous write - probably a ramdisk").
 *
 * Simplifications: folio_free_swap is not tried (it frees the slot of a folio no pte refers to;
 * the model keeps no swap counts, and every modeled caller has just written the swap entry into
 * the pte); arch_prepare_to_swap (arm64 MTE tags), the zero-filled check and the zeromap are
 * not modeled; the store reads the page's one data word. v6.6 brackets the folio_unlock with
 * folio_start_writeback / folio_end_writeback (PG_writeback), which no modeled path reads: not
 * modeled.
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_unlock } from './filemap.js';

/** zswap_store: compress the folio's contents into the pool (here: read them). */
const zswap_store = kfunc('zswap_store', function* (k: Ctx, folio: number): Program<void> {
  yield { op: 'load', addr: k.kernel.machine.mem.frameBase(folio), width: 1 };
});

/** swap_writeout: the folio is locked on entry and unlocked on return; 0 on success. (The
 * device write when zswap declines, __swap_writepage, is not modeled: zswap always stores.) */
export const swap_writeout = kfunc('swap_writeout', function* (k: Ctx, folio: number): Program<number> {
  yield* zswap_store(k, folio);
  yield* folio_unlock(k, folio); // out_unlock
  return 0;
});
