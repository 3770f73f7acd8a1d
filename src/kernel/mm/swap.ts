/** mm/swap.c and include/linux/mm.h: dropping folio references and freeing the last one. */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_ref_sub_and_test } from '../sync/refcount.js';
import { free_frozen_pages } from './page_alloc.js';

/** __folio_put: the count reached zero; free it (anon: no mapping to tear down). */
const __folio_put = kfunc('__folio_put', function* (k: Ctx, folio: number): Program<void> {
  const order = (yield { op: 'load', addr: k.kernel.memmap.field(folio, 'order'), width: 1 }) as number; // folio_order
  yield* free_frozen_pages(k, folio, order);
});

export const folio_put_refs = kfunc('folio_put_refs', function* (k: Ctx, folio: number, refs: number): Program<void> {
  if (yield* folio_ref_sub_and_test(k.kernel, folio, refs)) yield* __folio_put(k, folio);
});

export function* folio_put(k: Ctx, folio: number): Program<void> {
  yield* folio_put_refs(k, folio, 1);
}
