/**
 * mm/memory.c: just the paths the pae-tear scenarios need: zapping ptes (zap_pte_range, reached
 * from munmap's unmap_region and from MADV_DONTNEED's zap_page_range_single), freeing a pte
 * table (free_pte_range, from free_pgtables), and the anonymous write fault on a none pte
 * (handle_pte_fault -> do_anonymous_page). Modeled on v6.6; v5.10 has the same shared-memory
 * accesses on these paths (it reads `ptent = *pte` where v6.6 has ptep_get; both run under the
 * pte lock, which every writer of that pte also holds).
 *
 * Simplifications (shared by the functions below):
 *   - The walk down to the pmd (pmd_off / zap_p4d_range..zap_pmd_range / __handle_mm_fault's
 *     p4d_alloc..pmd_alloc) is one READ_ONCE per unfolded level above the pmd: the upper
 *     tables never change in these scenarios. pte_offset_map_lock / pte_offset_map_nolock read
 *     the pmd once, as a plain `*pmd` (in v6.6 it is pmdp_get_lockless with IRQs off on PAE; the
 *     pmd has no concurrent writer on the paths that call them here); the pte lock is the pte
 *     table's split lock (ptdesc->ptl).
 *   - mmap_lock is not taken: MADV_DONTNEED and the fault both hold it for read (they exclude
 *     nothing from each other), and GUP-fast takes no lock; munmap's write lock excludes no
 *     thread of the scenarios either.
 *   - The mmu_gather is reduced to what x86 without CONFIG_MMU_GATHER_RCU_TABLE_FREE does (a
 *     minimal local batch, see MmuGather below): flush the TLB range (IPI and wait), then free
 *     the batched page tables and pages. No batching limits, no rmap/LRU/counter updates
 *     (inc_mm_counter, folio_add_lru_vma, lru_add_drain, update_hiwater_rss), no mmu notifiers,
 *     no uffd/swap/device entries, no zero page (the fault is a write fault).
 *   - free_pgtables frees only the pte table under the unmapped range: the pmd table and the
 *     levels above stay (as they do when other mappings share them: floor/ceiling).
 */
import type { Program } from '../../machine/effects.js';
import { PAGE_SIZE, PMD, PTE, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, mkEntry } from '../../machine/mmu.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { PG_uptodate } from './mm_types.js';
import { alloc_pages } from './page_alloc.js';
import {
  type TablePtr,
  READ_ONCE,
  clear_entry,
  deref,
  get_and_clear,
  nextEntry,
  offset_lockless,
  pgd_offset,
  pmd_present,
  pte_none,
  pte_pfn,
  pte_present,
  ptep_get,
  ptep_get_lockless,
  set_entry,
} from './pgtable.js';
import { folio_put, folio_put_refs } from './swap.js';

/**
 * A minimal struct mmu_gather for x86 before v6.15 (no RCU table free): the range to flush,
 * and the pages and page tables to free once the TLBs no longer hold them.
 */
export interface MmuGather {
  start: number;
  end: number;
  pages: number[];
  tables: number[];
}

export function tlb_gather_mmu(): MmuGather {
  return { start: Infinity, end: 0, pages: [], tables: [] };
}

/** tlb_finish_mmu -> tlb_flush_mmu: flush the gathered range (IPI and wait on x86), then
 * tlb_flush_mmu_free: free the page tables (tlb_remove_page of the table) and release_pages. */
export const tlb_finish_mmu = kfunc('tlb_finish_mmu', function* (k: Ctx, tlb: MmuGather): Program<void> {
  if (tlb.end > tlb.start) yield* k.arch.flush_tlb_range(k, tlb.start, tlb.end);
  for (const t of tlb.tables) yield* folio_put(k, t); // pte_free: the table page's last reference
  for (const p of tlb.pages) yield* folio_put_refs(k, p, 1); // release_pages
});

function track(tlb: MmuGather, addr: number, size: number): void {
  tlb.start = Math.min(tlb.start, addr);
  tlb.end = Math.max(tlb.end, addr + size);
}

/** pmd_off(mm, addr): the pmd entry for addr, one READ_ONCE per unfolded level above it. */
export function* pmd_off(k: Ctx, addr: number): Program<TablePtr | null> {
  const g = k.kernel.machine.geometry;
  let v = yield* READ_ONCE(k, pgd_offset(k, addr));
  for (let level = 4; level >= 3; level--) {
    if (!pmd_present(v)) return null;
    if (g.folded(level)) continue;
    v = yield* READ_ONCE(k, offset_lockless(k, level, v, addr));
  }
  if (!pmd_present(v)) return null;
  return offset_lockless(k, PMD, v, addr) as TablePtr;
}

const ptl = (k: Ctx, pte: TablePtr): number => k.kernel.memmap.field(pte.frame, 'ptl');

/** pte_offset_map_lock's table pointer: from one plain read of *pmd (see the header). */
function* pte_offset_map(k: Ctx, pmdp: TablePtr, addr: number): Program<TablePtr | null> {
  const pmd = yield* deref(k, pmdp);
  if (!pmd_present(pmd)) return null;
  return offset_lockless(k, PTE, pmd, addr) as TablePtr;
}

/**
 * zap_pte_range (v6.6): under the pte lock, clear each present pte with
 * ptep_get_and_clear_full (an atomic 64-bit exchange on x86, also on PAE since 2018), drop its
 * mapcount (page_remove_rmap) and queue the page for freeing after the TLB flush
 * (__tlb_remove_page).
 */
export const zap_pte_range = kfunc(
  'zap_pte_range',
  function* (k: Ctx, tlb: MmuGather, pmdp: TablePtr, addr: number, end: number): Program<void> {
    let pte = yield* pte_offset_map(k, pmdp, addr);
    if (!pte) return;
    const lock = ptl(k, pte);
    yield* spin_lock(lock);
    do {
      const ptent = yield* ptep_get(k, pte);
      if (!pte_none(ptent) && pte_present(ptent)) {
        const page = pte_pfn(ptent); // vm_normal_page
        yield* get_and_clear(k, pte); // ptep_get_and_clear_full
        track(tlb, addr, PAGE_SIZE); // tlb_remove_tlb_entry
        yield { op: 'add', addr: k.kernel.memmap.field(page, '_mapcount'), delta: -1 }; // page_remove_rmap
        tlb.pages.push(page); // __tlb_remove_page
      }
      pte = nextEntry(pte);
      addr += PAGE_SIZE;
    } while (addr !== end);
    yield* spin_unlock(lock);
  },
);

/**
 * free_pte_range (mm/memory.c, unchanged in substance from v2.6 to v6.6): token =
 * pmd_pgtable(*pmd); pmd_clear(pmd); pte_free_tlb(tlb, token, addr). On x86-32 PAE pmd_clear
 * writes the low word, smp_wmb, then the high word; the table is freed after the flush.
 */
export const free_pte_range = kfunc('free_pte_range', function* (k: Ctx, tlb: MmuGather, pmdp: TablePtr, addr: number): Program<void> {
  const pmd = yield* deref(k, pmdp); // pmd_pgtable(*pmd)
  const token = pte_pfn(pmd);
  yield* clear_entry(k, pmdp); // pmd_clear
  track(tlb, addr, k.kernel.machine.geometry.size(PMD));
  tlb.tables.push(token); // pte_free_tlb -> ___pte_free_tlb -> tlb_remove_page (x86, no RCU table free)
  yield* note(`pte table ${token} queued for freeing after the TLB flush`);
});

/**
 * munmap of [start, end) inside one PMD range, as unmap_region (mm/mmap.c v5.10; vms_clear_ptes
 * in v6.12+) does it after the VMA is detached: tlb_gather_mmu, unmap_vmas (zap_pte_range),
 * free_pgtables (free_pte_range: the whole PMD range is no longer mapped), tlb_finish_mmu.
 * Ghost: the range is recorded as unmapped by the user (oracle 1).
 */
export const unmap_region = kfunc('unmap_region', function* (k: Ctx, start: number, end: number): Program<void> {
  k.kernel.vmas = k.kernel.vmas.filter((v) => v.end <= start || v.start >= end); // detached before
  k.kernel.ghost.userUnmaps.push({ start, end });
  const tlb = tlb_gather_mmu();
  const pmdp = yield* pmd_off(k, start);
  if (pmdp) {
    yield* zap_pte_range(k, tlb, pmdp, start, end);
    yield* free_pte_range(k, tlb, pmdp, start);
  }
  yield* tlb_finish_mmu(k, tlb);
});

/**
 * zap_page_range_single (v6.6), as MADV_DONTNEED (madvise_dontneed_single_vma) calls it:
 * tlb_gather_mmu, unmap_single_vma -> ... -> zap_pte_range, tlb_finish_mmu. Ghost: a
 * user-initiated unmap of the range (oracle 1).
 */
export const zap_page_range_single = kfunc('zap_page_range_single', function* (k: Ctx, start: number, size: number): Program<void> {
  k.kernel.ghost.userUnmaps.push({ start, end: start + size });
  const tlb = tlb_gather_mmu();
  const pmdp = yield* pmd_off(k, start);
  if (pmdp) yield* zap_pte_range(k, tlb, pmdp, start, start + size);
  yield* tlb_finish_mmu(k, tlb);
});

const ANON_PTE = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

/**
 * do_anonymous_page (v6.6), write fault: allocate a zeroed folio, mark it uptodate, take the pte
 * lock, back off if the pte is no longer none (vmf_pte_changed), else account the new anon
 * mapping and set_pte_at (on PAE: high word, smp_wmb, low word).
 */
export const do_anonymous_page = kfunc('do_anonymous_page', function* (k: Ctx, pmdp: TablePtr, address: number): Program<string> {
  // pte_alloc(vma->vm_mm, vmf->pmd): the pmd is present here, nothing to allocate
  const folio = yield* alloc_pages(k, 0, { kind: 'data' }); // vma_alloc_zeroed_movable_folio
  if (folio < 0) return 'VM_FAULT_OOM';
  yield { op: 'store', addr: k.kernel.memmap.field(folio, 'flags'), width: 1, value: PG_uptodate }; // __folio_mark_uptodate
  const entry = mkEntry(folio, ANON_PTE); // mk_pte + pte_sw_mkyoung + pte_mkwrite(pte_mkdirty())
  const pte = yield* pte_offset_map(k, pmdp, address);
  if (!pte) {
    yield* folio_put(k, folio);
    return 'VM_FAULT_RETRY';
  }
  const lock = ptl(k, pte);
  yield* spin_lock(lock);
  if (!pte_none(yield* ptep_get(k, pte))) {
    // vmf_pte_changed: someone else mapped it meanwhile
    yield* note('pte no longer none: release the new folio');
    yield* spin_unlock(lock);
    yield* folio_put(k, folio);
    return 'VM_FAULT_NOPAGE';
  }
  yield { op: 'store', addr: k.kernel.memmap.field(folio, '_mapcount'), width: 1, value: 1 }; // folio_add_new_anon_rmap
  yield* set_entry(k, pte, entry); // set_pte_at
  yield* note(`maps page ${folio} (pte ${'0x' + entry.toString(16)})`);
  yield* spin_unlock(lock);
  return 'VM_FAULT_DONE';
});

/**
 * handle_mm_fault -> __handle_mm_fault -> handle_pte_fault (v6.6) for a write fault at
 * `address` in an anonymous VMA whose pmd points to a pte table: vmf->orig_pte =
 * ptep_get_lockless(vmf->pte) with IRQs on (it does not hold off a TLB flush); a none pte goes
 * to do_anonymous_page; a present one is a spurious fault (the scenario's ptes are writable
 * and dirty, so ptep_set_access_flags changes nothing) checked under the pte lock; a
 * non-present one would be a swap entry: do_swap_page's pte_unmap_same rechecks it under the
 * lock (the PAE case: sizeof(pte_t) > sizeof(long)) and, the scenario having no swap, is
 * modeled as that recheck only.
 */
export const handle_mm_fault = kfunc('handle_mm_fault', function* (k: Ctx, address: number): Program<string> {
  const pmdp = yield* pmd_off(k, address);
  if (!pmdp) return 'VM_FAULT_SIGSEGV'; // not in the scenarios: the pmd is present
  const pte = yield* pte_offset_map(k, pmdp, address); // pte_offset_map_nolock
  if (!pte) return 'VM_FAULT_RETRY';
  const orig = yield* ptep_get_lockless(k, pte);
  if (pte_none(orig)) return yield* do_anonymous_page(k, pmdp, address); // do_pte_missing
  const lock = ptl(k, pte);
  yield* spin_lock(lock);
  const now = yield* ptep_get(k, pte);
  yield* note(now === orig ? 'spurious fault: the pte is already mapped' : 'pte changed under us: return and refault');
  yield* spin_unlock(lock);
  return 'VM_FAULT_DONE';
});
