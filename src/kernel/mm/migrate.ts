/**
 * mm/migrate.c (v6.18-era linux-next): remove_migration_ptes / remove_migration_pte, which map
 * a folio back where migration (or a THP split) left migration entries. The caller holds the
 * anon_vma lock (RMP_LOCKED), so the rmap walk takes no lock of its own here.
 *
 * Not modeled: the shared zero-page remap of a split (RMP_USE_SHARED_ZEROPAGE), soft-dirty and
 * uffd-wp bits, device-private entries, PMD migration entries.
 */
import type { Program } from '../../machine/effects.js';
import { PAGE_SIZE } from '../../machine/mmu.js';
import { type Ctx, kfunc } from '../kernel.js';
import { folio_get } from '../sync/refcount.js';
import { spin_unlock } from '../sync/spinlock.js';
import { folio_test_set_flag } from './filemap.js';
import { PG_anon_exclusive } from './mm_types.js';
import { ptep_get, set_entry } from './pgtable.js';
import { entryFlags, mkEntry } from '../../machine/mmu.js';
import { page_vma_mapped_walk } from './rmap.js';

/** remove_migration_pte for the migration pte of `page` (of `folio`) at `address`. */
const remove_migration_pte = kfunc(
  'remove_migration_pte',
  function* (k: Ctx, folio: number, page: number, address: number): Program<void> {
    const walk = yield* page_vma_mapped_walk(k, page, address, true);
    if (!walk || walk.kind !== 'pte') return;
    const { pte, ptl } = walk;
    const old = yield* ptep_get(k, pte);
    {
      yield* folio_get(k.kernel, folio);
      const write = (entryFlags(old) & 0x2) !== 0;
      // folio_add_anon_rmap_pte(..., RMAP_EXCLUSIVE for a writable/exclusive entry)
      yield { op: 'add', addr: k.kernel.memmap.field(folio, '_mapcount'), delta: 1 };
      if (write) yield* folio_test_set_flag(k, page, PG_anon_exclusive);
      yield* set_entry(k, pte, mkEntry(page, 0x1 | 0x4 | 0x20 | 0x40 | (write ? 0x2 : 0)));
    }
    yield* spin_unlock(ptl);
  },
);

/** remove_migration_ptes(folio, folio): each page of the folio, at its address (folio->index). */
export const remove_migration_ptes = kfunc('remove_migration_ptes', function* (k: Ctx, folio: number, nr: number): Program<void> {
  for (let i = 0; i < nr; i++) {
    const index = (yield { op: 'load', addr: k.kernel.memmap.field(folio + i, 'index'), width: 1 }) as number;
    yield* remove_migration_pte(k, folio, folio + i, index * PAGE_SIZE);
  }
});
