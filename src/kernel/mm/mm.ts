/** include/linux/mm.h helpers the modeled paths share. */
import type { Program } from '../../machine/effects.js';
import type { Ctx } from '../kernel.js';
import { GUP_PIN_COUNTING_BIAS, PG_head } from './mm_types.js';

/** folio_mapped / folio_mapcount: one load of the mapcount word. */
export function* folio_mapcount(k: Ctx, folio: number): Program<number> {
  return ((yield { op: 'load', addr: k.kernel.memmap.field(folio, '_mapcount'), width: 1 }) as number) | 0;
}

/** folio_maybe_dma_pinned: large folios count pins in _pincount; small ones by the
 * GUP_PIN_COUNTING_BIAS in _refcount. (The large test reads folio->flags.) */
export function* folio_maybe_dma_pinned(k: Ctx, folio: number): Program<boolean> {
  const mm = k.kernel.memmap;
  const flags = (yield { op: 'load', addr: mm.field(folio, 'flags'), width: 1 }) as number;
  if (flags & PG_head) return ((yield { op: 'load', addr: mm.field(folio, '_pincount'), width: 1 }) as number | 0) > 0;
  return ((yield { op: 'load', addr: mm.field(folio, '_refcount'), width: 1 }) as number | 0) >= GUP_PIN_COUNTING_BIAS;
}
