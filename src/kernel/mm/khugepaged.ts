/**
 * mm/khugepaged.c: collapse of an anonymous PMD range into a THP, as of v6.18 (linux-next),
 * with 2ba99c5e0881 (tlb_remove_table_sync_one after the flush, v6.1) as a toggle.
 *
 * Order of events: drop mmap_lock, allocate the huge folio, retake it for write, clear the pmd
 * and flush (pmdp_collapse_flush), [sync IPI], then under the pte lock check each small folio's
 * refcount against its mapcount and isolate it, copy, clear the ptes and drop the old folios,
 * deposit the old pte table and install the huge pmd.
 *
 * Not modeled: hugepage_vma_revalidate and vma_start_write (no VMA changes in the collapse
 * family), mmu notifiers (none registered), memcg charging, swap-in of non-present ptes, the
 * per-CPU LRU batch, node statistics, and khugepaged's scan of the range (the scenario enters
 * collapse_huge_page with mmap_lock held for read, as hpage_collapse_scan_pmd does).
 */
import type { Program } from '../../machine/effects.js';
import { PTE, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_RW } from '../../machine/mmu.js';
import { guarded } from '../guards.js';
import { BUG_ON, type Ctx, kfunc, note } from '../kernel.js';
import { folio_ref_count } from '../sync/refcount.js';
import { down_write, up_write } from '../sync/rwsem.js';
import { raw_write_seqcount_begin, raw_write_seqcount_end } from '../sync/seqcount.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { folio_test_flag, folio_test_set_flag, folio_trylock, folio_unlock } from './filemap.js';
import { page_folio } from './gup.js';
import { mmap_read_lock, mmap_read_unlock, mmap_write_lock, mmap_write_unlock } from './mmap_lock.js';
import { tlb_remove_table_sync_one } from './mmu_gather.js';
import { mm_find_pmd } from './rmap.js';
import { pmdp_collapse_flush, pte_offset_map_rcu_lock, pte_unmap_rcu_unlock } from './pgtable-generic.js';
import { PG_lru, PG_swapcache, PG_uptodate } from './mm_types.js';
import { alloc_pages } from './page_alloc.js';
import {
  type TablePtr,
  deref,
  get_and_clear,
  mk_huge_pmd,
  mk_table_entry,
  nextEntry,
  offset_lockless,
  pmd_leaf,
  pmd_none,
  pmd_present,
  pmdp_get_lockless,
  pte_none,
  pte_pfn,
  pte_present,
  ptep_get,
  set_entry,
} from './pgtable.js';
import { folio_put, folio_put_refs } from './swap.js';
import { folio_isolate_lru, folio_putback_lru } from './vmscan.js';

export type ScanResult =
  | 'SCAN_SUCCEED'
  | 'SCAN_FAIL'
  | 'SCAN_PMD_NULL'
  | 'SCAN_PMD_MAPPED'
  | 'SCAN_PTE_NON_PRESENT'
  | 'SCAN_EXCEED_SHARED_PTE'
  | 'SCAN_PAGE_LOCK'
  | 'SCAN_PAGE_COUNT'
  | 'SCAN_DEL_PAGE_LRU'
  | 'SCAN_ALLOC_HUGE_PAGE_FAIL';

const hpage_pmd_nr = (k: Ctx): number => k.kernel.machine.geometry.entries(PTE);
/** khugepaged_max_ptes_shared: the default, HPAGE_PMD_NR / 2 (a sysfs tunable; not a shared word here) */
const khugepaged_max_ptes_shared = (k: Ctx): number => hpage_pmd_nr(k) / 2;
const ptl = (k: Ctx, table: TablePtr): number => k.kernel.memmap.field(table.frame, 'ptl');

/** find_pmd_or_thp_or_none: mm_find_pmd (mm/rmap.c), then check_pmd_state classifies the pmd. */
const find_pmd_or_thp_or_none = kfunc(
  'find_pmd_or_thp_or_none',
  function* (k: Ctx, address: number): Program<{ result: ScanResult; pmd?: TablePtr }> {
    const pmd = yield* mm_find_pmd(k, address);
    if (!pmd) return { result: 'SCAN_PMD_NULL' };
    const pmde = yield* pmdp_get_lockless(k, pmd); // check_pmd_state
    if (pmd_none(pmde)) return { result: 'SCAN_PMD_NULL' };
    if (!pmd_present(pmde)) return { result: 'SCAN_PMD_NULL' };
    if (pmd_leaf(pmde)) return { result: 'SCAN_PMD_MAPPED' };
    return { result: 'SCAN_SUCCEED', pmd };
  },
);

/** release_pte_folio: unlock and put back on the LRU (drops the isolation reference). */
const release_pte_folio = kfunc('release_pte_folio', function* (k: Ctx, folio: number): Program<void> {
  yield* folio_unlock(k, folio);
  yield* folio_putback_lru(k, folio);
});

/** release_pte_pages: undo isolation of the folios behind ptes [pte, _pte). */
const release_pte_pages = kfunc('release_pte_pages', function* (k: Ctx, pte: TablePtr, n: number): Program<void> {
  for (let i = n - 1; i >= 0; i--) {
    const pteval = yield* ptep_get(k, { ...pte, addr: pte.addr + 2 * i });
    if (pte_none(pteval)) continue;
    const folio = yield* page_folio(k, pte_pfn(pteval)); // pfn_folio
    yield* release_pte_folio(k, folio);
  }
});

/** __collapse_huge_page_isolate, under the pte lock: lock, refcount check, LRU isolation. */
const __collapse_huge_page_isolate = kfunc(
  '__collapse_huge_page_isolate',
  function* (k: Ctx, pte: TablePtr): Program<ScanResult> {
    const mm = k.kernel.memmap;
    let _pte = pte;
    let result: ScanResult = 'SCAN_SUCCEED';
    let shared = 0;
    let i = 0;
    for (; i < hpage_pmd_nr(k); i++, _pte = nextEntry(_pte)) {
      const pteval = yield* ptep_get(k, _pte);
      if (pte_none(pteval)) continue; // within max_ptes_none
      if (!pte_present(pteval)) {
        result = 'SCAN_PTE_NON_PRESENT';
        break;
      }
      const folio = yield* page_folio(k, pte_pfn(pteval)); // vm_normal_page + page_folio
      // folio_maybe_mapped_shared (a small folio mapped more than once) && ++shared >
      // khugepaged_max_ptes_shared: 71a2c112a0f6 (v5.8); before it no count (the refcount check
      // below then rejects a page mapped twice)
      if (k.kernel.has('khugepaged-max-ptes-shared')) {
        const mapcount = (yield { op: 'load', addr: mm.field(folio, '_mapcount'), width: 1 }) as number;
        if (mapcount > 1 && ++shared > khugepaged_max_ptes_shared(k)) {
          result = 'SCAN_EXCEED_SHARED_PTE';
          break;
        }
      }
      if (!(yield* folio_trylock(k, folio))) {
        result = 'SCAN_PAGE_LOCK';
        break;
      }
      // folio_expected_ref_count(folio) != folio_ref_count(folio): anon: swapcache pages + mapcount
      // (9445689f3b61, v5.8; before it page_count(page) != 1 + PageSwapCache(page): no mapcount load)
      const swapcache = yield* folio_test_flag(k, folio, PG_swapcache);
      const mapped = k.kernel.has('khugepaged-collapse-shared') ? ((yield { op: 'load', addr: mm.field(folio, '_mapcount'), width: 1 }) as number) : 1;
      const count = yield* folio_ref_count(k.kernel, folio);
      if (guarded(k, 'collapse:refcount_check') && (swapcache ? 1 : 0) + mapped !== count) {
        yield* note(`folio ${folio}: refcount ${count} != expected ${mapped}: someone holds a reference`);
        yield* folio_unlock(k, folio);
        result = 'SCAN_PAGE_COUNT';
        break;
      }
      yield* note(`folio ${folio}: refcount ${count} == mapcount ${mapped}: no pin`);
      if (!(yield* folio_isolate_lru(k, folio))) {
        yield* folio_unlock(k, folio);
        result = 'SCAN_DEL_PAGE_LRU';
        break;
      }
    }
    if (result !== 'SCAN_SUCCEED') yield* release_pte_pages(k, pte, i);
    return result;
  },
);

/** __collapse_huge_page_copy_succeeded: clear the old ptes and drop the old folios. */
const __collapse_huge_page_copy_succeeded = kfunc(
  '__collapse_huge_page_copy_succeeded',
  function* (k: Ctx, pte: TablePtr, pte_ptl: number): Program<void> {
    let _pte = pte;
    for (let i = 0; i < hpage_pmd_nr(k); i++, _pte = nextEntry(_pte)) {
      const pteval = yield* ptep_get(k, _pte);
      if (pte_none(pteval)) continue;
      const src = yield* page_folio(k, pte_pfn(pteval));
      yield* release_pte_folio(k, src);
      yield* spin_lock(pte_ptl);
      yield* get_and_clear(k, _pte); // ptep_clear
      yield { op: 'add', addr: k.kernel.memmap.field(src, '_mapcount'), delta: -1 }; // folio_remove_rmap_pte
      yield* spin_unlock(pte_ptl);
      yield* folio_test_flag(k, src, PG_swapcache); // free_swap_cache: not in the swap cache
      yield* folio_put_refs(k, src, 1);
    }
  },
);

/** __collapse_huge_page_copy: copy each small page into the huge folio, then clean up. */
const __collapse_huge_page_copy = kfunc(
  '__collapse_huge_page_copy',
  function* (k: Ctx, pte: TablePtr, folio: number, pte_ptl: number): Program<ScanResult> {
    const mem = k.kernel.machine.mem;
    let _pte = pte;
    for (let i = 0; i < hpage_pmd_nr(k); i++, _pte = nextEntry(_pte)) {
      const pteval = yield* ptep_get(k, _pte);
      const dst = mem.frameBase(folio + i);
      if (pte_none(pteval)) {
        yield { op: 'store', addr: dst, width: 1, value: 0 }; // clear_user_highpage
        continue;
      }
      // copy_mc_user_highpage: one data word per page in the model
      const data = (yield { op: 'load', addr: mem.frameBase(pte_pfn(pteval)), width: 1 }) as number;
      yield { op: 'store', addr: dst, width: 1, value: data };
    }
    yield* __collapse_huge_page_copy_succeeded(k, pte, pte_ptl);
    return 'SCAN_SUCCEED';
  },
);

export const collapse_huge_page = kfunc('collapse_huge_page', function* (k: Ctx, address: number): Program<ScanResult> {
  const g = k.kernel.machine.geometry;
  BUG_ON(address % g.size(2) !== 0, 'address & ~HPAGE_PMD_MASK');
  yield* mmap_read_unlock(k);
  let folio = yield* alloc_pages(k, g.thpOrder, { kind: 'data' }); // alloc_charge_folio
  if (folio < 0) return 'SCAN_ALLOC_HUGE_PAGE_FAIL';
  let result: ScanResult;
  yield* mmap_read_lock(k);
  const found = yield* find_pmd_or_thp_or_none(k, address);
  yield* mmap_read_unlock(k);
  if (found.result !== 'SCAN_SUCCEED') {
    result = found.result;
  } else {
    yield* mmap_write_lock(k);
    result = yield* collapse_locked(k, address, found.pmd!, folio);
    if (result === 'SCAN_SUCCEED') folio = -1;
    yield* mmap_write_unlock(k);
  }
  if (folio >= 0) yield* folio_put(k, folio);
  yield* note(`collapse_huge_page: ${result}`);
  return result;
});

/** The part of collapse_huge_page that runs under mmap_write_lock (between the two labels). */
function* collapse_locked(k: Ctx, address: number, pmd: TablePtr, folio: number): Program<ScanResult> {
  const again = yield* find_pmd_or_thp_or_none(k, address); // check_pmd_still_valid
  if (again.result !== 'SCAN_SUCCEED') return again.result;
  if (again.pmd!.addr !== pmd.addr) return 'SCAN_FAIL';
  const anon_vma = k.kernel.anonVma.rwsem;
  yield* down_write(anon_vma); // anon_vma_lock_write
  const pmd_ptl = ptl(k, pmd); // pmd_lock: the split pmd lock of the pmd table page
  yield* spin_lock(pmd_ptl);
  const seqcount = k.kernel.has('gup-seqcount');
  const early = seqcount && !k.kernel.has('seqcount-late-bump');
  if (early) yield* raw_write_seqcount_begin(k.kernel.mm.replace_seq);
  const _pmd = guarded(k, 'collapse:pmdp_collapse_flush') ? yield* pmdp_collapse_flush(k, address, pmd) : yield* deref(k, pmd);
  yield* spin_unlock(pmd_ptl);
  if (k.kernel.has('khugepaged-sync-ipi')) yield* tlb_remove_table_sync_one(k);

  // pte_offset_map_lock(mm, &_pmd, ...): the table comes from the local copy of the old pmd (v6.5+;
  // before 0d940a9b270b, pte_offset_map(pmd) read *pmd before pmdp_collapse_flush: same table)
  yield* pte_offset_map_rcu_lock(k);
  const pte = offset_lockless(k, 1, _pmd, address) as TablePtr;
  const pte_ptl = ptl(k, pte);
  yield* spin_lock(pte_ptl);
  const isolated = yield* __collapse_huge_page_isolate(k, pte);
  yield* spin_unlock(pte_ptl);
  if (isolated !== 'SCAN_SUCCEED') {
    yield* pte_unmap_rcu_unlock(k); // pte_unmap
    yield* spin_lock(pmd_ptl);
    BUG_ON(!pmd_none(yield* deref(k, pmd)), '!pmd_none(*pmd)');
    yield* set_entry(k, pmd, mk_table_entry(pte.frame)); // pmd_populate
    if (early) yield* raw_write_seqcount_end(k.kernel.mm.replace_seq);
    yield* spin_unlock(pmd_ptl);
    yield* up_write(anon_vma);
    return isolated;
  }
  yield* up_write(anon_vma);
  const copied = yield* __collapse_huge_page_copy(k, pte, folio, pte_ptl);
  yield* pte_unmap_rcu_unlock(k); // pte_unmap
  if (copied !== 'SCAN_SUCCEED') return copied;

  yield* folio_test_set_flag(k, folio, PG_uptodate); // __folio_mark_uptodate
  const huge = mk_huge_pmd(folio, _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED);
  yield* spin_lock(pmd_ptl);
  BUG_ON(!pmd_none(yield* deref(k, pmd)), '!pmd_none(*pmd)');
  const mm = k.kernel.memmap;
  yield { op: 'store', addr: mm.field(folio, '_mapcount'), width: 1, value: 1 }; // folio_add_new_anon_rmap
  yield* folio_test_set_flag(k, folio, PG_lru); // folio_add_lru_vma
  yield { op: 'store', addr: mm.field(pmd.frame, 'pmd_huge_pte'), width: 1, value: pte.frame + 1 }; // pgtable_trans_huge_deposit
  if (seqcount && !early) yield* raw_write_seqcount_begin(k.kernel.mm.replace_seq);
  yield* set_entry(k, pmd, huge); // set_pmd_at
  if (seqcount) yield* raw_write_seqcount_end(k.kernel.mm.replace_seq);
  yield* note(`huge pmd installed: the range now maps folio ${folio}`);
  yield* spin_unlock(pmd_ptl);
  return 'SCAN_SUCCEED';
}

/** khugepaged's call into collapse_huge_page, with mmap_lock held for read as the scan leaves it. */
export const khugepaged_collapse = kfunc('khugepaged', function* (k: Ctx, address: number): Program<ScanResult> {
  yield* mmap_read_lock(k);
  return yield* collapse_huge_page(k, address);
});
