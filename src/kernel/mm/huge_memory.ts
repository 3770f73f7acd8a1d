/**
 * mm/huge_memory.c (v6.18-era linux-next): splitting an anonymous THP into small folios.
 *
 * split_huge_page -> __folio_split (uniform split to order 0, caller holds the folio lock and a
 * reference): can_split_folio; unmap_folio: try_to_migrate with TTU_SPLIT_HUGE_PMD, which for a
 * PMD mapping is __split_huge_pmd_locked(freeze=true) -- invalidate and flush the pmd, withdraw
 * the deposited pte table, fill it with migration entries (or, if the folio may be pinned, with
 * present ptes and no freeze), publish it; the deferred flush; then with IRQs off the refcount
 * freeze, __split_unmapped_folio (new folios are born frozen: tails' compound_head cleared
 * after their flags are set), unfreeze each new folio (the first one last), and remap_page
 * (remove_migration_ptes). Jason Gunthorpe's 2023 argument: every ordering of GUP-fast's
 * read/ref/recheck against this resolves by the freeze and the pmd recheck.
 *
 * Not modeled: the deferred-split queue and its lock (only the IRQ-off region around the freeze
 * is kept), the lruvec lock, memcg, swap-cache folios, the shared zero-page remap, mapping/index
 * copies (index is per page already), PG_dirty transfer from the pmd, non-uniform splits.
 *
 * The PUD half (dev_dax PUD faults, the 2020 pud split/zap) is further down, with its own notes.
 */
import type { Program } from '../../machine/effects.js';
import { PAGE_SIZE, PMD, PTE, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_RW, _PAGE_USER, leaf, mkEntry, _PAGE_PSE, entryFlags, entryPfn } from '../../machine/mmu.js';
import { guarded } from '../guards.js';
import { BUG_ON, type Ctx, kfunc, note, observe } from '../kernel.js';
import { local_irq_restore, local_irq_save } from '../sync/irqflags.js';
import { folio_ref_add, folio_ref_count, folio_ref_freeze, folio_ref_sub_and_test, folio_ref_unfreeze } from '../sync/refcount.js';
import { down_write, up_write } from '../sync/rwsem.js';
import { spin_unlock, spin_lock } from '../sync/spinlock.js';
import { folio_test_flag, folio_test_set_flag, folio_unlock } from './filemap.js';
import { remove_migration_ptes } from './migrate.js';
import { folio_mapcount } from './mm.js';
import { PG_anon_exclusive, PG_head, PG_locked, PG_lru, PG_uptodate, type Vma } from './mm_types.js';
import { type TablePtr, deref, mk_migration_pte, mk_table_entry, offset_lockless, pmd_mkinvalid, pte_pfn, set_entry, store64, get_and_clear, pud_none } from './pgtable.js';
import { page_vma_mapped_walk, folio_try_share_anon_rmap_pmd, try_to_migrate_one_pte, try_to_unmap_flush, TTU_BATCH_FLUSH } from './rmap.js';
import { folio_put } from './swap.js';

const nr_pages = (k: Ctx): number => k.kernel.machine.geometry.entries(PTE);

/** pmdp_invalidate: pmdp_establish(pmd_mkinvalid(*pmdp)) -- a plain read, an exchange -- then
 * flush_pmd_tlb_range. */
const pmdp_invalidate = kfunc('pmdp_invalidate', function* (k: Ctx, address: number, pmdp: TablePtr): Program<number> {
  const cur = yield* deref(k, pmdp);
  const old = (yield { op: 'xchg', addr: pmdp.addr, width: 2, value: pmd_mkinvalid(cur), check: { frame: pmdp.frame, gen: pmdp.gen, level: PMD } }) as number;
  yield* k.arch.flush_tlb_range(k, address, address + k.kernel.machine.geometry.size(PMD));
  return old;
});

/** __split_huge_pmd_locked, present anonymous pmd, under the pmd lock. */
const __split_huge_pmd_locked = kfunc(
  '__split_huge_pmd_locked',
  function* (k: Ctx, haddr: number, pmdp: TablePtr, freeze: boolean): Program<void> {
    const mm = k.kernel.memmap;
    const nr = nr_pages(k);
    const old = guarded(k, '__split_huge_pmd_locked:pmdp_invalidate') ? yield* pmdp_invalidate(k, haddr, pmdp) : yield* deref(k, pmdp);
    const page = pte_pfn(old);
    const folio = page; // page_folio(pmd_page): the head
    const write = (old & _PAGE_RW) !== 0;
    const anon_exclusive = yield* folio_test_flag(k, page, PG_anon_exclusive);
    if (freeze && anon_exclusive && (yield* folio_try_share_anon_rmap_pmd(k, folio, nr))) freeze = false;
    if (!freeze) {
      yield* folio_ref_add(k.kernel, folio, nr - 1);
      yield { op: 'add', addr: mm.field(folio, '_mapcount'), delta: nr }; // folio_add_anon_rmap_ptes
    }
    // pgtable_trans_huge_withdraw
    const dep = (yield { op: 'load', addr: mm.field(pmdp.frame, 'pmd_huge_pte'), width: 1 }) as number;
    BUG_ON(dep === 0, 'no deposited page table');
    yield { op: 'store', addr: mm.field(pmdp.frame, 'pmd_huge_pte'), width: 1, value: 0 };
    const table = dep - 1;
    const _pmd = mk_table_entry(table); // pmd_populate(mm, &_pmd, pgtable): a local
    k.seen.set(table, k.kernel.machine.mem.gen[table]);
    for (let i = 0; i < nr; i++) {
      const pte = offset_lockless(k, PTE, _pmd, haddr + i * PAGE_SIZE) as TablePtr;
      const v = freeze ? mk_migration_pte(page + i, write) : mkEntry(page + i, _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY | (write ? _PAGE_RW : 0));
      yield* set_entry(k, pte, v); // set_pte_at / set_ptes
    }
    const cur = yield* deref(k, pmdp); // !is_pmd_migration_entry(*pmd)
    if (leaf(cur)) yield { op: 'add', addr: mm.field(folio, '_mapcount'), delta: -1 }; // folio_remove_rmap_pmd
    if (freeze) yield* folio_ref_sub_and_test(k.kernel, folio, 1); // put_page
    yield* store64(k, pmdp, _pmd); // smp_wmb(); pmd_populate(mm, pmd, pgtable)
  },
);

/** try_to_migrate(folio, TTU_SPLIT_HUGE_PMD | TTU_SYNC | TTU_BATCH_FLUSH), anon_vma locked by the caller. */
const try_to_migrate = kfunc('try_to_migrate', function* (k: Ctx, folio: number): Program<void> {
  const mm = k.kernel.memmap;
  for (let i = 0; i < nr_pages(k); i++) {
    const index = (yield { op: 'load', addr: mm.field(folio + i, 'index'), width: 1 }) as number;
    const address = index * PAGE_SIZE;
    const walk = yield* page_vma_mapped_walk(k, folio + i, address);
    if (!walk) continue;
    if (walk.kind === 'pmd') {
      // split_huge_pmd_locked(vma, address, pmd, freeze=true); "ret = false; break"
      yield* __split_huge_pmd_locked(k, address - (address % k.kernel.machine.geometry.size(PMD)), walk.pmd, true);
      yield* spin_unlock(walk.ptl);
      return;
    }
    if (!(yield* try_to_migrate_one_pte(k, folio, folio + i, address, walk, TTU_BATCH_FLUSH))) return;
  }
});

/** __split_unmapped_folio (uniform, to order 0): each tail becomes a folio of its own. */
const __split_unmapped_folio = kfunc('__split_unmapped_folio', function* (k: Ctx, folio: number): Program<void> {
  const mm = k.kernel.memmap;
  const headFlags = (yield { op: 'load', addr: mm.field(folio, 'flags'), width: 1 }) as number;
  const keep = headFlags & (PG_locked | PG_uptodate);
  for (let i = 1; i < nr_pages(k); i++) {
    const own = (yield { op: 'load', addr: mm.field(folio + i, 'flags'), width: 1 }) as number;
    yield { op: 'store', addr: mm.field(folio + i, 'flags'), width: 1, value: keep | (own & PG_anon_exclusive) };
    yield { op: 'store', addr: mm.field(folio + i, 'compound_head'), width: 1, value: 0 }; // smp_wmb(); clear_compound_head
  }
  yield { op: 'store', addr: mm.field(folio, 'order'), width: 1, value: 0 }; // ClearPageCompound
  yield { op: 'bitop', addr: mm.field(folio, 'flags'), set: 0, clear: PG_head };
});

/** can_split_folio: the only references are the mappings, the caller's and the swap cache's. */
function* can_split_folio(k: Ctx, folio: number, caller_pins: number): Program<boolean> {
  const mapcount = yield* folio_mapcount(k, folio);
  const refs = yield* folio_ref_count(k.kernel, folio);
  return mapcount === refs - caller_pins;
}

export const __folio_split = kfunc('__folio_split', function* (k: Ctx, folio: number): Program<number> {
  const nr = nr_pages(k);
  const anon_vma = k.kernel.anonVma.rwsem;
  yield* down_write(anon_vma); // anon_vma_lock_write
  let ret = 0;
  if (!(yield* can_split_folio(k, folio, 1))) {
    yield* note(`folio ${folio} has extra references: -EAGAIN`);
    observe(k, 'split-refused', 'a reference taken before the split made can_split_folio fail: -EAGAIN');
    ret = -11;
  } else {
    yield* try_to_migrate(k, folio); // unmap_folio
    yield* try_to_unmap_flush(k);
    const irq = yield* local_irq_save(); // local_irq_disable + split_queue_lock
    const frozen = guarded(k, '__folio_split:freeze')
      ? yield* folio_ref_freeze(k.kernel, folio, 1)
      : (yield* folio_ref_count(k.kernel, folio)) === 1;
    if (frozen) {
      yield* __split_unmapped_folio(k, folio);
      for (let i = 1; i < nr; i++) {
        const expected = yield* folio_mapcount(k, folio + i); // folio_expected_ref_count
        yield* folio_ref_unfreeze(k.kernel, folio + i, expected + 1);
        yield* folio_test_set_flag(k, folio + i, PG_lru); // lru_add_split_folio
      }
      const expected = yield* folio_mapcount(k, folio);
      yield* folio_ref_unfreeze(k.kernel, folio, expected + 1);
      yield* note(`folio ${folio} split into ${nr} small folios`);
    } else {
      yield* note(`folio ${folio}: refcount freeze failed: -EAGAIN`);
      observe(k, 'split-refused', 'a reference taken before the freeze made folio_ref_freeze fail: -EAGAIN');
      ret = -11;
    }
    yield* local_irq_restore(irq);
    // remap_page: the new folios if split, else the large folio again
    if (ret === 0) for (let i = 0; i < nr; i++) yield* remove_migration_ptes(k, folio + i, 1);
    else yield* remove_migration_ptes(k, folio, nr);
    if (ret === 0)
      for (let i = 1; i < nr; i++) {
        yield* folio_unlock(k, folio + i);
        yield* folio_put(k, folio + i); // free_folio_and_swap_cache
      }
  }
  yield* up_write(anon_vma);
  return ret;
});

/** split_huge_page(page): split the folio, keeping the lock on the folio of `page` (the head here). */
export const split_huge_page = kfunc('split_huge_page', function* (k: Ctx, folio: number): Program<number> {
  return yield* __folio_split(k, folio);
});

// ---- The PUD half ----

/**
 * mm/huge_memory.c, the PUD half, as of v5.8 (2020; include/linux/huge_mm.h for the macros,
 * arch/x86/include/asm/pgtable.h for the pud predicates): the dev_dax PUD insert
 * (vmf_insert_pfn_pud -> insert_pfn_pud, which then took pud_lock itself), the split of a
 * huge pud (for a DAX/devmap pud in that era: zap it; the next access refaults), and
 * pud_trans_huge_lock.
 *
 * Every `*pud` of the C code is one load through `deref` (x86-64: one 64-bit load), in the
 * order the C evaluates them, short-circuits included: `pud_trans_huge(*pud) ||
 * pud_devmap(*pud)` on a devmap pud is two loads (pud_trans_huge is false for it on x86).
 *
 * Simplifications: CONFIG_DEBUG_VM off (the VM_BUG_ON re-reads of *pud are not made); no mmu
 * notifier is registered; pud_lock is mm->page_table_lock (x86 has no split PUD lock);
 * count_vm_event, track_pfn_insert (PAT) and update_mmu_cache_pud (empty on x86) make no
 * shared access; the device pages' struct page fields are not touched (devmap pages are not
 * refcounted by these paths in 2020). _PAGE_DEVMAP is x86's software bit 57 (SOFTW4); the
 * model keeps it in a low software bit (bit 10) so that an entry stays exact in a double.
 */

/** _PAGE_DEVMAP (x86 _PAGE_SOFTW4, bit 57; bit 10 in the model, see the header). */
export const _PAGE_DEVMAP = 0x400;

/** pud_trans_huge (x86, 2020): PSE set and DEVMAP clear. */
export const pud_trans_huge = (v: number): boolean => (entryFlags(v) & (_PAGE_PSE | _PAGE_DEVMAP)) === _PAGE_PSE;
/** pud_devmap (x86): the DEVMAP bit. */
export const pud_devmap = (v: number): boolean => (entryFlags(v) & _PAGE_DEVMAP) !== 0;
/** pud_huge (arch/x86/mm/hugetlbpage.c): the PSE bit. */
export const pud_huge = (v: number): boolean => (entryFlags(v) & _PAGE_PSE) !== 0;
export const pud_pfn = entryPfn;

/** The pud insert_pfn_pud makes for a devmap pfn: pud_mkhuge(pfn_t_pud(pfn, prot)) +
 * pud_mkdevmap, and for a write fault pud_mkyoung(pud_mkdirty()) + maybe_pud_mkwrite. `prot`
 * is the vm_page_prot of a shared writable mapping without write-notify (device-dax has no
 * page_mkwrite): present, user, writable. */
export function mk_devmap_pud(pfn: number, write: boolean): number {
  let flags = _PAGE_PRESENT | _PAGE_USER | _PAGE_RW | _PAGE_PSE | _PAGE_DEVMAP;
  if (write) flags |= _PAGE_ACCESSED | _PAGE_DIRTY;
  return mkEntry(pfn, flags);
}

/** pud_lockptr(mm, pud): &mm->page_table_lock. */
export const pud_lockptr = (k: Ctx): number => k.kernel.mm.page_table_lock;

/** pud_lock(mm, pud): spin_lock(pud_lockptr); returns the lock. */
export function* pud_lock(k: Ctx): Program<number> {
  const ptl = pud_lockptr(k);
  yield* spin_lock(ptl);
  return ptl;
}

/** `pud_trans_huge(*pud) || pud_devmap(*pud)`: one or two loads. */
function* pud_trans_huge_or_devmap(k: Ctx, pudp: TablePtr): Program<boolean> {
  if (pud_trans_huge(yield* deref(k, pudp))) return true;
  return pud_devmap(yield* deref(k, pudp));
}

/** __pud_trans_huge_lock: take the pud lock and recheck under it. */
const __pud_trans_huge_lock = kfunc('__pud_trans_huge_lock', function* (k: Ctx, pudp: TablePtr): Program<number | null> {
  const ptl = yield* pud_lock(k);
  if (yield* pud_trans_huge_or_devmap(k, pudp)) return ptl;
  yield* spin_unlock(ptl);
  return null;
});

/** pud_trans_huge_lock (huge_mm.h): an unlocked test, then the locked one; the lock or null. */
export const pud_trans_huge_lock = kfunc('pud_trans_huge_lock', function* (k: Ctx, pudp: TablePtr, _vma: Vma): Program<number | null> {
  if (yield* pud_trans_huge_or_devmap(k, pudp)) return yield* __pud_trans_huge_lock(k, pudp);
  return null;
});

/**
 * pudp_huge_clear_flush (mm/pgtable-generic.c): pudp_huge_get_and_clear (x86-64 SMP:
 * native_pudp_get_and_clear, an xchg with 0), then flush_pud_tlb_range -> flush_tlb_range.
 * pudp_huge_clear_flush_notify adds the mmu notifier call (none registered).
 */
export const pudp_huge_clear_flush = kfunc('pudp_huge_clear_flush', function* (k: Ctx, address: number, pudp: TablePtr, why: string): Program<number> {
  const size = k.kernel.machine.geometry.size(3);
  BUG_ON(address % size !== 0, 'address & ~HPAGE_PUD_MASK');
  const pud = yield* get_and_clear(k, pudp);
  yield* note(`huge pud ${hexEntry(pud)} cleared: ${why}`);
  yield* k.arch.flush_tlb_range(k, address, address + size);
  return pud;
});

/** __split_huge_pud_locked: for a file/DAX pud (no anonymous PUD THP in 2020) the split is a zap. */
const __split_huge_pud_locked = kfunc('__split_huge_pud_locked', function* (k: Ctx, pudp: TablePtr, haddr: number): Program<void> {
  yield* pudp_huge_clear_flush(k, haddr, pudp, 'the split of a DAX pud is a zap (the next access refaults)');
});

/** __split_huge_pud: under the pud lock, recheck that it is still huge, then split it. */
export const __split_huge_pud = kfunc('__split_huge_pud', function* (k: Ctx, _vma: Vma, pudp: TablePtr, address: number): Program<void> {
  const size = k.kernel.machine.geometry.size(3);
  const haddr = Math.floor(address / size) * size; // range.start = address & HPAGE_PUD_MASK
  const ptl = yield* pud_lock(k);
  if (yield* pud_trans_huge_or_devmap(k, pudp)) yield* __split_huge_pud_locked(k, pudp, haddr);
  yield* spin_unlock(ptl);
});

/** split_huge_pud (huge_mm.h macro): `if (pud_trans_huge(*pud) || pud_devmap(*pud)) __split_huge_pud(...)`. */
export const split_huge_pud = kfunc('split_huge_pud', function* (k: Ctx, vma: Vma, pudp: TablePtr, address: number): Program<void> {
  if (yield* pud_trans_huge_or_devmap(k, pudp)) yield* __split_huge_pud(k, vma, pudp, address);
});

/**
 * insert_pfn_pud (v5.8): under the pud lock, install the huge pud if the entry is still none;
 * otherwise (another fault won) a write fault only refreshes young/dirty on the same pfn.
 */
const insert_pfn_pud = kfunc(
  'insert_pfn_pud',
  function* (k: Ctx, addr: number, pudp: TablePtr, pfn: number, write: boolean): Program<void> {
    const ptl = yield* pud_lock(k);
    out: {
      if (!pud_none(yield* deref(k, pudp))) {
        if (write) {
          if (pud_pfn(yield* deref(k, pudp)) !== pfn) {
            yield* note('WARN_ON_ONCE(pud_pfn(*pud) != pfn)');
            break out;
          }
          // entry = pud_mkyoung(*pud) + dirty + write; pudp_set_access_flags: x86 writes only if changed
          const cur = yield* deref(k, pudp);
          const entry = mkEntry(pud_pfn(cur), entryFlags(cur) | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_RW);
          if (entry !== cur) yield* set_entry(k, pudp, entry);
        }
        break out;
      }
      const entry = mk_devmap_pud(pfn, write);
      yield* set_entry(k, pudp, entry); // set_pud_at: x86-64 native_set_pud, WRITE_ONCE
      yield* note(`huge pud installed: ${hexEntry(entry)} maps device pages ${pfn}..`);
    }
    yield* spin_unlock(ptl);
  },
);

/** vmf_insert_pfn_pud -> vmf_insert_pfn_pud_prot (v5.8): sanity checks on the vma (ghost), then insert. */
export const vmf_insert_pfn_pud = kfunc(
  'vmf_insert_pfn_pud',
  function* (k: Ctx, vma: Vma, address: number, pudp: TablePtr, pfn: number, write: boolean): Program<'VM_FAULT_NOPAGE' | 'VM_FAULT_SIGBUS'> {
    const size = k.kernel.machine.geometry.size(3);
    const addr = Math.floor(address / size) * size; // vmf->address & PUD_MASK
    if (addr < vma.start || addr >= vma.end) return 'VM_FAULT_SIGBUS';
    yield* insert_pfn_pud(k, addr, pudp, pfn, write);
    return 'VM_FAULT_NOPAGE';
  },
);

function hexEntry(v: number): string {
  return '0x' + v.toString(16);
}

/**
 * zap_huge_pud (v5.8): under the pud lock (__pud_trans_huge_lock), pudp_huge_get_and_clear_full
 * (x86-64: xchg with 0) and tlb_remove_pud_tlb_entry (the range joins the gather: the flush is
 * tlb_finish_mmu's); a DAX VMA is "special huge", so nothing else is done. Returns whether it
 * zapped.
 */
export const zap_huge_pud = kfunc('zap_huge_pud', function* (k: Ctx, _vma: Vma, pudp: TablePtr, _addr: number): Program<boolean> {
  const ptl = yield* __pud_trans_huge_lock(k, pudp);
  if (ptl === null) return false;
  const old = yield* get_and_clear(k, pudp);
  yield* note(`huge pud ${hexEntry(old)} zapped`);
  yield* spin_unlock(ptl);
  return true;
});
