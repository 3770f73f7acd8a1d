/**
 * mm/page_alloc.c: allocating and freeing frames, with the struct page stores the kernel makes
 * (prep_new_page / prep_compound_page, free_pages_prepare). The frames come from the machine's
 * allocator: LIFO reuse, poisoned when free.
 *
 * Simplifications: free_pages_prepare's `flags &= ~PAGE_FLAGS_CHECK_AT_PREP` is one store of 0;
 * no per-cpu lists, zones or buddy merging beyond the machine's aligned search.
 */
import type { FrameUse, Program } from '../../machine/effects.js';
import { type Ctx, kfunc } from '../kernel.js';
import { PG_head } from './mm_types.js';

function* store(addr: number, value: number): Program<void> {
  yield { op: 'store', addr, width: 1, value };
}

/** alloc_pages: returns the head pfn (refcount 1), or -1 when memory is exhausted. */
export const alloc_pages = kfunc('alloc_pages', function* (k: Ctx, order: number, use: FrameUse): Program<number> {
  const pfn = (yield { op: 'alloc', order, use }) as number;
  if (pfn < 0) return -1;
  const mm = k.kernel.memmap;
  yield* store(mm.field(pfn, '_refcount'), 1); // set_page_refcounted
  if (order > 0) {
    // prep_compound_page: head flag and order, then each tail's compound_head
    yield* store(mm.field(pfn, 'flags'), PG_head);
    yield* store(mm.field(pfn, 'order'), order);
    for (let i = 1; i < 1 << order; i++) yield* store(mm.field(pfn + i, 'compound_head'), (pfn << 1) | 1);
  }
  return pfn;
});

/** free_frozen_pages (refcount already 0): free_pages_prepare, then back to the allocator. */
export const free_frozen_pages = kfunc('free_frozen_pages', function* (k: Ctx, pfn: number, order: number): Program<void> {
  const mm = k.kernel.memmap;
  for (let i = 1; i < 1 << order; i++) yield* store(mm.field(pfn + i, 'compound_head'), 0);
  yield* store(mm.field(pfn, 'flags'), 0);
  if (order > 0) yield* store(mm.field(pfn, 'order'), 0);
  yield { op: 'free', frame: pfn, order };
});
