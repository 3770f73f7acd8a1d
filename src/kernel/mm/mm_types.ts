/**
 * include/linux/mm_types.h and page-flags.h, scaled down: where struct page/folio fields and
 * mm_struct fields live in the machine's static memory, so that every access to them is a
 * real word access the explorer sees.
 *
 * Simplifications: one struct page per frame with only the fields the modeled paths touch;
 * `_mapcount` is stored as the mapcount itself (the kernel stores it biased by -1); for a
 * large folio the head's `_mapcount` word plays `_large_mapcount`/`_entire_mapcount`; the
 * folio order lives in the head page instead of page[1].
 */
import type { Memory } from '../../machine/memory.js';

export const PG_locked = 1 << 0;
export const PG_referenced = 1 << 2;
export const PG_dirty = 1 << 4;
export const PG_uptodate = 1 << 3;
export const PG_lru = 1 << 5;
export const PG_head = 1 << 6;
export const PG_reclaim = 1 << 7;
export const PG_swapcache = 1 << 10;
export const PG_anon_exclusive = 1 << 11;

/** The page flags by name, as the kernel prints them (%pGp: 'uptodate|lru'), for traces. */
export const PAGE_FLAG_NAMES: ReadonlyArray<[number, string]> = [
  [PG_locked, 'locked'],
  [PG_referenced, 'referenced'],
  [PG_uptodate, 'uptodate'],
  [PG_dirty, 'dirty'],
  [PG_lru, 'lru'],
  [PG_head, 'head'],
  [PG_reclaim, 'reclaim'],
  [PG_swapcache, 'swapcache'],
  [PG_anon_exclusive, 'anon_exclusive'],
];

/** A page flags word by name ('uptodate|lru'; '0' for none; unknown bits in hex). */
export function pageFlagNames(flags: number): string {
  const names = PAGE_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const rest = PAGE_FLAG_NAMES.reduce((f, [bit]) => f & ~bit, flags);
  if (rest) names.push('0x' + rest.toString(16));
  return names.length ? names.join('|') : '0';
}

/** Word offsets of struct page fields. */
export const PAGE = {
  flags: 0,
  _refcount: 1,
  _mapcount: 2,
  _pincount: 3,
  /** tail pages: (head pfn << 1) | 1; 0 for a head or small page */
  compound_head: 4,
  /** split page-table lock of a page-table page (ptdesc->ptl) */
  ptl: 5,
  /** folio order, in the head page */
  order: 6,
  /** ptdesc->pmd_huge_pte: the deposited pte table (pfn + 1, 0 when none) */
  pmd_huge_pte: 7,
  /** folio->swap: the swap slot of a swap-cache folio */
  private: 8,
  /** folio->index: for anon, the virtual page number it is mapped at (vma_address) */
  index: 9,
} as const;
export const STRUCT_PAGE_WORDS = 10;
export const PAGE_FIELD_NAMES = Object.keys(PAGE) as Array<keyof typeof PAGE>;

/** GUP_PIN_COUNTING_BIAS (include/linux/mm.h). */
export const GUP_PIN_COUNTING_BIAS = 1024;

/** The struct page array (vmemmap). */
export class Memmap {
  readonly base: number;
  constructor(mem: Memory) {
    this.base = mem.reserveStatic(mem.frames * STRUCT_PAGE_WORDS);
  }
  field(pfn: number, f: keyof typeof PAGE): number {
    return this.base + pfn * STRUCT_PAGE_WORDS + PAGE[f];
  }
  /** Inverse of field(), for traces: the pfn and field name of an address, or null. */
  decode(addr: number, frames: number): { pfn: number; field: string } | null {
    const off = addr - this.base;
    if (off < 0 || off >= frames * STRUCT_PAGE_WORDS) return null;
    return { pfn: Math.floor(off / STRUCT_PAGE_WORDS), field: PAGE_FIELD_NAMES[off % STRUCT_PAGE_WORDS] };
  }
}

/** mm_struct words that are shared and written concurrently. */
export interface MmStruct {
  /** the pgd frame; mm->pgd never changes in the modeled paths, so reading it is not a step */
  pgd: number;
  mmap_lock: number;
  page_table_lock: number;
  write_protect_seq: number;
  /** the proposal's sequence count bumped by page-replacing paths (patch 'gup-seqcount') */
  replace_seq: number;
}

/** struct anon_vma: only its rwsem. */
export interface AnonVma {
  rwsem: number;
}

export interface Vma {
  start: number;
  end: number;
  anon_vma: AnonVma;
}
