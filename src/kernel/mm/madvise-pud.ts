/**
 * madvise(MADV_DONTNEED) on a device-dax range, v5.8 (mm/madvise.c -> mm/memory.c): under
 * mmap_read_lock, madvise_dontneed_single_vma -> zap_page_range -> unmap_single_vma ->
 * unmap_page_range -> zap_p4d_range -> zap_pud_range, which zaps a whole huge pud with
 * zap_huge_pud; tlb_finish_mmu flushes the gathered range. A user-initiated unmap (recorded for
 * oracle 1). Kept apart from mm/memory.ts (the zap paths of other families) on purpose.
 *
 * Simplifications: only the PUD level: a pud pointing at a pmd table (zap_pmd_range) and a
 * partial huge pud (split_huge_pud) throw a model error; lru_add_drain, update_hiwater_rss and
 * the mmu notifiers (none registered) make no access; the mmu_gather is reduced to "flush the
 * range if something was zapped" (tlb_flush_mmu_tlbonly returns early on an empty range).
 */
import type { Program } from '../../machine/effects.js';
import { NotModeled } from '../../machine/effects.js';
import { P4D, PUD } from '../../machine/mmu.js';
import { type Ctx, kfunc } from '../kernel.js';
import { pud_devmap, pud_trans_huge, zap_huge_pud } from './huge_memory.js';
import type { Vma } from './mm_types.js';
import { mmap_read_lock, mmap_read_unlock } from './mmap_lock.js';
import { type EntryPtr, type TablePtr, deref, nextEntry, offset_plain, pgd_offset } from './pgtable.js';

function addr_end(k: Ctx, level: number, addr: number, end: number): number {
  const g = k.kernel.machine.geometry;
  if (g.folded(level)) return end;
  const size = g.size(level);
  return Math.min((Math.floor(addr / size) + 1) * size, end);
}

/** `X_none_or_clear_bad(p)`: none, then bad (false here). */
function* none_or_clear_bad(k: Ctx, p: EntryPtr): Program<boolean> {
  if ((yield* deref(k, p)) === 0) return true;
  yield* deref(k, p);
  return false;
}

const zap_pud_range = kfunc('zap_pud_range', function* (k: Ctx, vma: Vma, p4dp: EntryPtr, addr: number, end: number, zapped: { any: boolean }): Program<void> {
  let pudp = (yield* offset_plain(k, PUD, p4dp, addr)) as TablePtr;
  do {
    const next = addr_end(k, PUD, addr, end);
    zap: {
      if (pud_trans_huge(yield* deref(k, pudp)) || pud_devmap(yield* deref(k, pudp))) {
        if (next - addr !== k.kernel.machine.geometry.size(PUD)) throw new NotModeled('split_huge_pud in zap_pud_range');
        if (yield* zap_huge_pud(k, vma, pudp, addr)) {
          zapped.any = true;
          break zap; // goto next
        }
      }
      if (yield* none_or_clear_bad(k, pudp)) break zap;
      throw new NotModeled('zap_pmd_range');
    }
    pudp = nextEntry(pudp);
    addr = next;
  } while (addr !== end);
});

/** unmap_page_range, down to the pud level (pgd_none/bad are constants with p4d folded). */
const unmap_page_range = kfunc('unmap_page_range', function* (k: Ctx, vma: Vma, start: number, end: number, zapped: { any: boolean }): Program<void> {
  const g = k.kernel.machine.geometry;
  let addr = start;
  let pgdp = pgd_offset(k, addr);
  do {
    const next = addr_end(k, 5, addr, end);
    if (g.folded(P4D) || !(yield* none_or_clear_bad(k, pgdp))) {
      // zap_p4d_range
      const p4dp = yield* offset_plain(k, P4D, pgdp, addr);
      if (!(yield* none_or_clear_bad(k, p4dp))) yield* zap_pud_range(k, vma, p4dp, addr, next, zapped);
    }
    pgdp = nextEntry(pgdp);
    addr = next;
  } while (addr !== end);
});

/** zap_page_range(vma, start, size): gather, unmap, tlb_finish_mmu. */
const zap_page_range = kfunc('zap_page_range', function* (k: Ctx, vma: Vma, start: number, size: number): Program<void> {
  const zapped = { any: false };
  yield* unmap_page_range(k, vma, start, start + size, zapped);
  if (zapped.any) yield* k.arch.flush_tlb_range(k, start, start + size); // tlb_finish_mmu -> tlb_flush
});

/** madvise(start, len, MADV_DONTNEED) on one VMA, under mmap_read_lock. */
export const madvise_dontneed = kfunc('madvise_dontneed', function* (k: Ctx, vma: Vma, start: number, len: number): Program<void> {
  yield* mmap_read_lock(k);
  k.kernel.ghost.userUnmaps.push({ start, end: start + len });
  yield* zap_page_range(k, vma, start, len);
  yield* mmap_read_unlock(k);
});
