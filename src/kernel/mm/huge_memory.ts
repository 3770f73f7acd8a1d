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
import type { Program } from '../../machine/effects.js';
import { _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER, entryFlags, entryPfn, mkEntry } from '../../machine/mmu.js';
import { BUG_ON, type Ctx, kfunc, note } from '../kernel.js';
import type { Vma } from './mm_types.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { type TablePtr, deref, get_and_clear, pud_none, set_entry } from './pgtable.js';

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
