/** Folio lock and flag helpers (include/linux/pagemap.h folio_trylock, mm/filemap.c folio_unlock,
 * include/linux/page-flags.h atomic flag ops): each an atomic bit operation on folio->flags. */
import type { Program } from '../../machine/effects.js';
import type { Ctx } from '../kernel.js';
import { PG_locked } from './mm_types.js';

function flags(k: Ctx, folio: number): number {
  return k.kernel.memmap.field(folio, 'flags');
}

/** test_and_set_bit_lock(PG_locked): returns the old flags word. */
export function* folio_test_set_flag(k: Ctx, folio: number, bit: number): Program<boolean> {
  const old = (yield { op: 'bitop', addr: flags(k, folio), set: bit, clear: 0 }) as number;
  return (old & bit) !== 0;
}
export function* folio_test_clear_flag(k: Ctx, folio: number, bit: number): Program<boolean> {
  const old = (yield { op: 'bitop', addr: flags(k, folio), set: 0, clear: bit }) as number;
  return (old & bit) !== 0;
}
export function* folio_test_flag(k: Ctx, folio: number, bit: number): Program<boolean> {
  const v = (yield { op: 'load', addr: flags(k, folio), width: 1 }) as number;
  return (v & bit) !== 0;
}

export function* folio_trylock(k: Ctx, folio: number): Program<boolean> {
  return !(yield* folio_test_set_flag(k, folio, PG_locked));
}
export function* folio_unlock(k: Ctx, folio: number): Program<void> {
  yield* folio_test_clear_flag(k, folio, PG_locked);
}
