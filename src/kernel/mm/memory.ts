/**
 * mm/memory.c (v6.18 linux-next): tearing down a range (unmap_vmas -> zap_pte_range),
 * freeing its page tables (free_pgtables -> free_pgd_range -> ... -> free_pte_range), and the
 * anonymous page fault that builds them again (__handle_mm_fault -> do_anonymous_page ->
 * __pte_alloc -> pmd_install).
 *
 * Simplifications:
 *  - the walkers above the pte level read each entry once and derive the next table from the
 *    value (the kernel's pXd_none_or_clear_bad(p) then pXd_offset(p) is two loads of an entry
 *    that cannot change under mmap_lock here: only pte tables are freed or installed
 *    concurrently in the scenarios); pXd_bad is never true;
 *  - zap: anonymous small folios only (no swap/migration entries, no THP, no file pages, no
 *    delayed rmap, no rss counters, no uffd markers); a page's reference goes into the mmu_gather
 *    batch and is dropped after the TLB flush;
 *  - free_pgtables: unlink_anon_vmas / unlink_file_vma_batch are not modeled (no rmap walker
 *    may race an unmap: scenario files reject kswapd and an unmapping path on one range,
 *    src/scenarios/mmap-overlap.ts NO_RMAP_VS_UNMAP); a swap or migration entry met by zap is
 *    NotModeled; one vma at a time (no merging of neighbours within PMD_SIZE);
 *  - fault: THP disabled for the vma (thp_vma_allowable_order false), write fault on an
 *    anonymous private vma whose anon_vma exists; __p4d_alloc / __pud_alloc / __pmd_alloc are
 *    not modeled (the scenarios keep the upper tables: a vma below the range holds them);
 *    alloc_anon_folio is order 0; folio_add_lru_vma, memcg charge, mm counters are not modeled;
 *  - ghost: the pte table a fault installs is recorded with the vma it faulted on (oracle 5).
 *
 * Empty pte table reclaim (mm/pt_reclaim.c, 6375e95f381e, v6.14; 'pt-reclaim'): MADV_DONTNEED
 * passes zap_details.reclaim_pt, and zap_pte_range, after zapping a whole PMD range, clears the
 * pmd (try_get_and_clear_pmd: trylock of the pmd lock, else try_to_free_pte) and frees the table
 * (free_pte -> pte_free_tlb). Modeled in its v6.15+ form (direct_reclaim starts true and is
 * dropped on need_resched / force_break, neither of which happens here: no rescheduling, the
 * batch never fills); do_zap_pte_range never skips an entry (any_skipped false: no uffd
 * markers, no swap entries); mm_dec_nr_ptes and the rss counters are not modeled. CONFIG_PT_RECLAIM
 * selects MMU_GATHER_RCU_TABLE_FREE, so the reclaim is done only on arch profiles whose tables are
 * freed through RCU (x86-64 was the only ARCH_SUPPORTS_PT_RECLAIM at v6.14).
 */
import { LoopBound, NotModeled, type Program } from '../../machine/effects.js';
import { PAGE_SIZE, PMD, PTE, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, mkEntry } from '../../machine/mmu.js';
import { guarded } from '../guards.js';
import { BUG_ON, type Ctx, kfunc, note } from '../kernel.js';
import { pte_offset_map_rcu_lock, pte_unmap_rcu_unlock } from './pgtable-generic.js';
import { folio_ref_sub_and_test } from '../sync/refcount.js';
import { spin_lock, spin_trylock, spin_unlock } from '../sync/spinlock.js';
import { type MmuGather, tlb_adjust_range, tlb_finish_mmu, tlb_gather_mmu, tlb_remove_page, tlb_remove_table } from './mmu_gather.js';
import { PG_lru, PG_uptodate } from './mm_types.js';
import { alloc_pages, free_frozen_pages } from './page_alloc.js';
import {
  type EntryPtr,
  type TablePtr,
  READ_ONCE,
  get_and_clear,
  mk_table_entry,
  nextEntry,
  offset_lockless,
  pgd_offset,
  pmd_none,
  pmdp_get_lockless,
  pte_none,
  pte_pfn,
  is_swap_pte,
  pte_present,
  ptep_get,
  set_entry,
  clear_entry,
  ptep_get_lockless,
  store64,
} from './pgtable.js';
import { type VmaStruct, notePtOwner, vma_read } from './vma_tree.js';
import { vma_start_write } from './mmap_lock.js';

/** pXd_addr_end */
function addr_end(k: Ctx, level: number, addr: number, end: number): number {
  const size = k.kernel.machine.geometry.size(level);
  return Math.min((Math.floor(addr / size) + 1) * size, end);
}
function nextLevel(k: Ctx, level: number): number {
  let n = level - 1;
  while (n > PTE && k.kernel.machine.geometry.folded(n)) n--;
  return n;
}
const ptlOf = (k: Ctx, frame: number): number => k.kernel.memmap.field(frame, 'ptl');
const LEVEL_FN = ['', 'pte', 'pmd', 'pud', 'p4d', 'pgd'];
const pmdSize = (k: Ctx): number => k.kernel.machine.geometry.size(PMD + 1) / k.kernel.machine.geometry.entries(PMD);

/** struct zap_details, the one field the model reads. */
export interface ZapDetails {
  reclaim_pt: boolean;
}

// ---------------------------------------------------------------------------------- zap

/** pte_offset_map_lock (mm/pgtable-generic.c __pte_offset_map_lock): map under RCU from the
 * pmd value, take the pte lock, recheck the pmd; retried (bounded) if it changed. */
export const pte_offset_map_lock = kfunc(
  'pte_offset_map_lock',
  function* (k: Ctx, pmdp: EntryPtr, addr: number): Program<{ ptep: TablePtr; ptl: number } | null> {
    for (let tries = 0; ; tries++) {
      if (tries > 2) throw new LoopBound('pte_offset_map_lock');
      yield* pte_offset_map_rcu_lock(k); // __pte_offset_map
      const pmdval = yield* pmdp_get_lockless(k, pmdp);
      if (pmd_none(pmdval) || !pte_present(pmdval)) {
        yield* pte_unmap_rcu_unlock(k);
        return null;
      }
      const ptep = offset_lockless(k, PTE, pmdval, addr) as TablePtr;
      const ptl = ptlOf(k, ptep.frame);
      yield* spin_lock(ptl);
      if (!guarded(k, 'pte_offset_map_lock:pmd_recheck') || pmdval === (yield* pmdp_get_lockless(k, pmdp))) return { ptep, ptl };
      yield* spin_unlock(ptl); // pte_unmap_unlock
      yield* pte_unmap_rcu_unlock(k);
    }
  },
);

/** pte_unmap_unlock: drop the pte lock taken by pte_offset_map_lock, and its RCU read side. */
export function* pte_unmap_unlock(k: Ctx, ptl: number): Program<void> {
  yield* spin_unlock(ptl);
  yield* pte_unmap_rcu_unlock(k);
}

/** pte_free_tlb: tlb_flush_pmd_range, freed_tables, __pte_free_tlb -> tlb_remove_ptdesc. */
function* pte_free_tlb(k: Ctx, tlb: MmuGather, token: number, addr: number): Program<void> {
  tlb_adjust_range(tlb, addr, PAGE_SIZE);
  tlb.freed_tables = true;
  yield* tlb_remove_table(k, tlb, token);
}

/** reclaim_pt_is_enabled (mm/pt_reclaim.c): the caller asked for it and the range is a whole
 * PMD range; CONFIG_PT_RECLAIM ('pt-reclaim', which selects MMU_GATHER_RCU_TABLE_FREE). */
function reclaim_pt_is_enabled(k: Ctx, start: number, end: number, details?: ZapDetails): boolean {
  return k.kernel.has('pt-reclaim') && k.arch.rcuTableFree && !!details?.reclaim_pt && end - start >= pmdSize(k);
}

/** try_get_and_clear_pmd (mm/pt_reclaim.c, v6.14): under the pte lock, trylock the pmd lock,
 * read and clear the pmd. Returns the pmd value, or null when the trylock failed. */
const try_get_and_clear_pmd = kfunc('try_get_and_clear_pmd', function* (k: Ctx, pmdp: TablePtr): Program<number | null> {
  const pml = ptlOf(k, pmdp.frame); // pmd_lockptr: split pmd ptlock
  if (!(yield* spin_trylock(pml))) return null;
  const pmdval = yield* pmdp_get_lockless(k, pmdp);
  yield* clear_entry(k, pmdp); // pmd_clear
  yield* spin_unlock(pml);
  return pmdval;
});

/** free_pte (mm/pt_reclaim.c): pte_free_tlb of the table the cleared pmd pointed to. */
const free_pte = kfunc('free_pte', function* (k: Ctx, addr: number, tlb: MmuGather, pmdval: number): Program<void> {
  yield* pte_free_tlb(k, tlb, pte_pfn(pmdval), addr); // pmd_pgtable(pmdval)
  // mm_dec_nr_ptes: not modeled
});

/** try_to_free_pte (mm/pt_reclaim.c): the slow path: under the pmd lock and the pte lock, free the
 * table only if every pte is still none. */
const try_to_free_pte = kfunc('try_to_free_pte', function* (k: Ctx, pmdp: TablePtr, addr: number, tlb: MmuGather): Program<void> {
  const pml = ptlOf(k, pmdp.frame);
  yield* spin_lock(pml); // pmd_lock
  // pte_offset_map_rw_nolock: __pte_offset_map (rcu_read_lock, pmdp_get_lockless), pte_lockptr
  yield* pte_offset_map_rcu_lock(k);
  const pmdval = yield* pmdp_get_lockless(k, pmdp);
  if (pmd_none(pmdval) || !pte_present(pmdval)) {
    yield* pte_unmap_rcu_unlock(k);
    yield* spin_unlock(pml); // out_ptl: no start_pte; ptl != pml
    return;
  }
  const start = offset_lockless(k, PTE, pmdval, addr) as TablePtr;
  const ptl = ptlOf(k, start.frame);
  yield* spin_lock(ptl); // spin_lock_nested (ptl != pml: split ptlocks)
  let pte = start;
  for (let i = 0; i < k.kernel.machine.geometry.entries(PTE); i++) {
    if (!pte_none(yield* ptep_get(k, pte))) {
      yield* pte_unmap_unlock(k, ptl); // out_ptl
      yield* spin_unlock(pml);
      return;
    }
    pte = nextEntry(pte);
  }
  yield* pte_unmap_rcu_unlock(k); // pte_unmap
  yield* clear_entry(k, pmdp); // pmd_clear
  yield* spin_unlock(ptl);
  yield* spin_unlock(pml);
  yield* free_pte(k, addr, tlb, pmdval);
});

const zap_pte_range = kfunc(
  'zap_pte_range',
  function* (k: Ctx, tlb: MmuGather, pmdp: EntryPtr, addr: number, end: number, details?: ZapDetails): Program<void> {
    const start = addr;
    const can_reclaim_pt = reclaim_pt_is_enabled(k, start, end, details);
    let direct_reclaim = true;
    let pmdval = 0;
    const m = yield* pte_offset_map_lock(k, pmdp, addr);
    if (!m) return;
    let pte = m.ptep;
    do {
      const ptent = yield* ptep_get(k, pte);
      if (!pte_none(ptent)) {
        if (!pte_present(ptent)) throw new NotModeled(`zap of a non-present pte (${is_swap_pte(ptent) ? 'swap' : 'migration'} entry: zap_nonpresent_ptes)`);
        const page = pte_pfn(ptent); // vm_normal_page
        yield* get_and_clear(k, pte); // ptep_get_and_clear_full
        tlb_adjust_range(tlb, addr, PAGE_SIZE); // tlb_remove_tlb_entry
        tlb.cleared_ptes = true;
        // zap_present_folio_ptes: folio_remove_rmap_ptes, then __tlb_remove_folio_pages
        yield { op: 'add', addr: k.kernel.memmap.field(page, '_mapcount'), delta: -1 };
        tlb_remove_page(tlb, page);
      }
      pte = nextEntry(pte);
      addr += PAGE_SIZE;
    } while (addr !== end);
    // "Fast path: try to hold the pmd lock and unmap the PTE page."
    if (can_reclaim_pt && direct_reclaim && addr === end) {
      const v = yield* try_get_and_clear_pmd(k, pmdp as TablePtr);
      direct_reclaim = v !== null;
      if (v !== null) pmdval = v;
    }
    yield* pte_unmap_unlock(k, m.ptl);
    if (can_reclaim_pt) {
      if (direct_reclaim) yield* free_pte(k, start, tlb, pmdval);
      else yield* try_to_free_pte(k, pmdp as TablePtr, start, tlb);
    }
  },
);

/** zap_pmd_range / zap_pud_range / zap_p4d_range, one body: read each entry, skip none. */
function* zap_level(k: Ctx, tlb: MmuGather, level: number, parentVal: number, addr: number, end: number, details?: ZapDetails): Program<void> {
  let p = offset_lockless(k, level, parentVal, addr);
  do {
    const next = addr_end(k, level, addr, end);
    const v = yield* READ_ONCE(k, p);
    if (v !== 0) {
      if (!pte_present(v)) throw new NotModeled(`zap of a non-present ${LEVEL_FN[level]}`);
      if (level === PMD) yield* zap_pte_range(k, tlb, p, addr, next, details);
      else yield* zap_level(k, tlb, nextLevel(k, level), v, addr, next, details);
    }
    if (p.kind === 'table') p = nextEntry(p);
    addr = next;
  } while (addr !== end);
}

/** unmap_page_range (unmap_vmas -> unmap_single_vma for each vma): walk the pgd. */
const unmap_page_range = kfunc('unmap_page_range', function* (k: Ctx, tlb: MmuGather, addr: number, end: number, details?: ZapDetails): Program<void> {
  let pgdp = pgd_offset(k, addr);
  do {
    const next = addr_end(k, 5, addr, end);
    const pgd = yield* READ_ONCE(k, pgdp);
    if (pgd !== 0) yield* zap_level(k, tlb, nextLevel(k, 5), pgd, addr, next, details);
    pgdp = nextEntry(pgdp);
    addr = next;
  } while (addr !== end);
});

export const unmap_vmas = kfunc('unmap_vmas', function* (k: Ctx, tlb: MmuGather, vmas: VmaStruct[], start: number, end: number): Program<void> {
  for (const vma of vmas) {
    // unmap_single_vma: clip to the vma
    const s = Math.max(start, yield* vma_read(k, vma.vm_start));
    const e = Math.min(end, yield* vma_read(k, vma.vm_end));
    if (s < e) yield* unmap_page_range(k, tlb, s, e);
  }
});

/**
 * zap_page_range_single (MADV_DONTNEED: madvise_dontneed_single_vma) on [start, start + size)
 * of one vma: tlb_gather_mmu, unmap_single_vma -> unmap_page_range, tlb_finish_mmu. The
 * caller's mmap_lock (read) or per-VMA lock and the mmu notifiers are not modeled (see
 * madvise_dontneed_vma for the caller that takes mmap_lock). Ghost: a user-initiated unmap of
 * the range (oracle 1).
 */
export const zap_page_range_single = kfunc('zap_page_range_single', function* (k: Ctx, start: number, size: number, details?: ZapDetails): Program<void> {
  k.kernel.ghost.userUnmaps.push({ start, end: start + size });
  const tlb = yield* tlb_gather_mmu(k);
  yield* unmap_page_range(k, tlb, start, start + size, details);
  yield* tlb_finish_mmu(k, tlb);
});

// ---------------------------------------------------------------------------------- free_pgtables

/** free_pte_range: clear the pmd (no flush here) and queue the pte table. */
const free_pte_range = kfunc('free_pte_range', function* (k: Ctx, tlb: MmuGather, pmdp: TablePtr, addr: number): Program<void> {
  const token = pte_pfn(yield* READ_ONCE(k, pmdp)); // pmd_pgtable(*pmd)
  yield* clear_entry(k, pmdp); // pmd_clear (x86-32 PAE: low word, smp_wmb, high word)
  yield* pte_free_tlb(k, tlb, token, addr);
});

/** The ceiling arithmetic of free_pgd_range & co. (unsigned: a ceiling of 0 is the top). */
const minus1 = (x: number): number => (x === 0 ? Infinity : x - 1);

/**
 * free_pmd_range / free_pud_range / free_p4d_range, one body: free the lower tables of each
 * entry, then this level's table if the whole range above it is unused (floor/ceiling test),
 * clearing the parent entry (pud_clear / p4d_clear / pgd_clear) and queueing the table.
 * A folded level has no table of its own: it passes through (its clear and free are no-ops).
 */
function* free_level(
  k: Ctx, tlb: MmuGather, level: number, parentp: EntryPtr, parentVal: number,
  addr: number, end: number, floor: number, ceiling: number,
): Program<void> {
  const g = k.kernel.machine.geometry;
  if (g.folded(level)) return yield* free_level(k, tlb, level - 1, parentp, parentVal, addr, end, floor, ceiling);
  const start = addr;
  let p = offset_lockless(k, level, parentVal, addr) as TablePtr;
  do {
    const next = addr_end(k, level, addr, end);
    const v = yield* READ_ONCE(k, p); // pXd_none_or_clear_bad
    if (v !== 0) {
      if (level === PMD) yield* free_pte_range(k, tlb, p, addr);
      else yield* free_level(k, tlb, level - 1, p, v, addr, next, floor, ceiling);
    }
    p = nextEntry(p);
    addr = next;
  } while (addr !== end);
  const mask = g.size(level + 1); // PUD_MASK for a pmd table, P4D_MASK for a pud table, ...
  const s = Math.floor(start / mask) * mask;
  if (s < floor) return;
  if (ceiling) {
    ceiling = Math.floor(ceiling / mask) * mask;
    if (!ceiling) return;
  }
  if (minus1(end) > minus1(ceiling)) return;
  BUG_ON(parentp.kind !== 'table', 'freeing a table under a folded level');
  yield* note(`${LEVEL_FN[level]} table ${p.frame} unused: ${LEVEL_FN[level + 1]}_clear and free it`);
  yield* store64(k, parentp as TablePtr, 0);
  tlb_adjust_range(tlb, s, PAGE_SIZE);
  tlb.freed_tables = true;
  yield* tlb_remove_table(k, tlb, p.frame);
}

/** free_pgd_range: round the range to what may be freed, then walk it. */
export const free_pgd_range = kfunc(
  'free_pgd_range',
  function* (k: Ctx, tlb: MmuGather, addr: number, end: number, floor: number, ceiling: number): Program<void> {
    const PMD_SIZE = pmdSize(k);
    addr = Math.floor(addr / PMD_SIZE) * PMD_SIZE;
    if (addr < floor) addr += PMD_SIZE;
    if (ceiling) {
      ceiling = Math.floor(ceiling / PMD_SIZE) * PMD_SIZE;
      if (!ceiling) return;
    }
    if (minus1(end) > minus1(ceiling)) end -= PMD_SIZE;
    if (addr > minus1(end)) return;
    let pgdp = pgd_offset(k, addr);
    do {
      const next = addr_end(k, 5, addr, end);
      const v = yield* READ_ONCE(k, pgdp);
      if (v !== 0) yield* free_level(k, tlb, 4, pgdp, v, addr, next, floor, ceiling);
      pgdp = nextEntry(pgdp);
      addr = next;
    } while (addr !== end);
  },
);

/** free_pgtables(tlb, mas, vma, floor, ceiling, mm_wr_locked), for the detached vmas. */
export const free_pgtables = kfunc(
  'free_pgtables',
  function* (k: Ctx, tlb: MmuGather, vmas: VmaStruct[], floor: number, ceiling: number, mm_wr_locked: boolean): Program<void> {
    for (let i = 0; i < vmas.length; i++) {
      const vma = vmas[i];
      if (mm_wr_locked) yield* vma_start_write(k, vma);
      // unlink_anon_vmas, unlink_file_vma_batch: not modeled (see the header)
      const addr = yield* vma_read(k, vma.vm_start);
      const next = vmas[i + 1];
      yield* free_pgd_range(k, tlb, addr, yield* vma_read(k, vma.vm_end), floor, next ? yield* vma_read(k, next.vm_start) : ceiling);
    }
  },
);

// ---------------------------------------------------------------------------------- fault

/** pmd_install: under the pmd lock, populate the pmd if it is still none. */
const pmd_install = kfunc('pmd_install', function* (k: Ctx, pmdp: TablePtr, pte: number): Program<boolean> {
  const ptl = ptlOf(k, pmdp.frame); // pmd_lock: split pmd ptlock
  yield* spin_lock(ptl);
  let installed = false;
  if (!guarded(k, 'pmd_install:pmd_none_recheck') || pmd_none(yield* READ_ONCE(k, pmdp))) {
    // mm_inc_nr_ptes; smp_wmb(): the model is sequentially consistent
    yield* set_entry(k, pmdp, mk_table_entry(pte)); // pmd_populate
    installed = true;
  }
  yield* spin_unlock(ptl);
  return installed;
});

/** __pte_alloc: allocate a pte table (pte_alloc_one + pagetable_pte_ctor), install it, or free it
 * if someone else did. `vma` is ghost (the kernel's takes only mm, pmd). */
export const __pte_alloc = kfunc('__pte_alloc', function* (k: Ctx, vma: VmaStruct, pmdp: TablePtr): Program<boolean> {
  const pte = yield* alloc_pages(k, 0, { kind: 'table', level: PTE });
  if (pte < 0) return false;
  yield { op: 'store', addr: ptlOf(k, pte), width: 1, value: 0 }; // ptlock_init
  if (yield* pmd_install(k, pmdp, pte)) {
    notePtOwner(k, pte, vma);
    return true;
  }
  // pte_free
  if (yield* folio_ref_sub_and_test(k.kernel, pte, 1)) yield* free_frozen_pages(k, pte, 0);
  return true;
});

const PTE_FLAGS = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

/** do_anonymous_page (write fault): pte_alloc, a zeroed folio, map it under the pte lock. */
const do_anonymous_page = kfunc('do_anonymous_page', function* (k: Ctx, vma: VmaStruct, pmdp: TablePtr, addr: number): Program<string> {
  // pte_alloc(mm, pmd): pmd_none(*pmd) && __pte_alloc(mm, pmd)
  if (pmd_none(yield* READ_ONCE(k, pmdp)) && !(yield* __pte_alloc(k, vma, pmdp))) return 'VM_FAULT_OOM';
  const folio = yield* alloc_pages(k, 0, { kind: 'data' }); // vma_alloc_zeroed_movable_folio
  if (folio < 0) return 'VM_FAULT_OOM';
  const mm = k.kernel.memmap;
  yield { op: 'store', addr: mm.field(folio, 'flags'), width: 1, value: PG_uptodate }; // __folio_mark_uptodate
  const m = yield* pte_offset_map_lock(k, pmdp, addr);
  if (!m) {
    yield* note('pmd changed under us: release');
    if (yield* folio_ref_sub_and_test(k.kernel, folio, 1)) yield* free_frozen_pages(k, folio, 0);
    return 'VM_FAULT_RETRY'; // goto release (the fault is retried by the caller)
  }
  if (!pte_none(yield* ptep_get(k, m.ptep))) {
    // vmf_pte_changed: someone else mapped it
    yield* pte_unmap_unlock(k, m.ptl);
    if (yield* folio_ref_sub_and_test(k.kernel, folio, 1)) yield* free_frozen_pages(k, folio, 0);
    return 'VM_FAULT_NOPAGE';
  }
  // folio_add_new_anon_rmap (RMAP_EXCLUSIVE), folio_add_lru_vma
  yield { op: 'store', addr: mm.field(folio, '_mapcount'), width: 1, value: 1 };
  yield { op: 'bitop', addr: mm.field(folio, 'flags'), set: PG_lru, clear: 0 };
  yield* set_entry(k, m.ptep, mkEntry(folio, PTE_FLAGS)); // set_ptes
  yield* note(`maps page ${folio} at ${addr.toString(16)} under vma ${vma.name}`);
  yield* pte_unmap_unlock(k, m.ptl);
  return 'VM_FAULT_COMPLETED';
});

/**
 * handle_mm_fault -> __handle_mm_fault -> handle_pte_fault for an anonymous write fault:
 * walk with pXd_alloc (the upper tables exist, see the header), then do_anonymous_page when
 * the pmd is none or the pte is none.
 */
export const handle_mm_fault = kfunc('handle_mm_fault', function* (k: Ctx, vma: VmaStruct, addr: number): Program<string> {
  let v = yield* READ_ONCE(k, pgd_offset(k, addr));
  for (let level = 4; level > PMD; level--) {
    // p4d_alloc / pud_alloc / pmd_alloc: pXd_none(*pXd) && __pXd_alloc (folded levels: no load)
    BUG_ON(pmd_none(v), `__${LEVEL_FN[level]}_alloc (not modeled)`);
    v = yield* READ_ONCE(k, offset_lockless(k, level, v, addr));
  }
  BUG_ON(pmd_none(v), '__pmd_alloc (not modeled)');
  const p = offset_lockless(k, PMD, v, addr);
  const pmdp = p as TablePtr;
  // if (pmd_none(*vmf.pmd) && thp_vma_allowable_order(...)): the load, then THP is off
  yield* READ_ONCE(k, pmdp);
  yield* pmdp_get_lockless(k, pmdp); // vmf.orig_pmd
  // handle_pte_fault: if (pmd_none(*vmf->pmd)) vmf->pte = NULL; else map and read the pte
  if (!pmd_none(yield* READ_ONCE(k, pmdp))) {
    // pte_offset_map_rw_nolock + ptep_get_lockless, then pte_unmap
    yield* pte_offset_map_rcu_lock(k);
    const pmdval = yield* pmdp_get_lockless(k, pmdp);
    let orig = 0;
    if (!pmd_none(pmdval)) orig = yield* ptep_get_lockless(k, offset_lockless(k, PTE, pmdval, addr));
    yield* pte_unmap_rcu_unlock(k);
    // a swap or migration entry: do_swap_page / migration_entry_wait, not modeled
    if (!pte_none(orig) && !pte_present(orig)) throw new NotModeled(`a fault on a non-present pte (${is_swap_pte(orig) ? 'do_swap_page' : 'migration_entry_wait'})`);
    if (!pte_none(orig)) return 'VM_FAULT_NOPAGE'; // already mapped (spurious fault)
  }
  return yield* do_anonymous_page(k, vma, pmdp, addr);
});
