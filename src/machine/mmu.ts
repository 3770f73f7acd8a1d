/**
 * The MMU's view of page tables: scaled-down geometry and the hardware entry format.
 * Geometry is configurable so that a PMD-mapped THP can be 4 small pages; the races modeled
 * here do not depend on 512 entries per table.
 */

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 1 << PAGE_SHIFT;

/** Level numbers as the kernel's page-table walkers count them, pte = 1 up to pgd = 5. */
export const PTE = 1, PMD = 2, PUD = 3, P4D = 4, PGD = 5;
export const LEVEL_NAMES: Record<number, string> = { 1: 'pte', 2: 'pmd', 3: 'pud', 4: 'p4d', 5: 'pgd' };

export interface GeometryConfig {
  /** log2 of entries per table for each level; 0 folds the level into the one above. */
  bits: { pgd: number; p4d: number; pud: number; pmd: number; pte: number };
}

export class Geometry {
  readonly bits: number[]; // indexed by level 1..5
  readonly shift: number[];
  constructor(cfg: GeometryConfig) {
    const b = cfg.bits;
    this.bits = [0, b.pte, b.pmd, b.pud, b.p4d, b.pgd];
    this.shift = [0, PAGE_SHIFT];
    for (let l = 2; l <= 5; l++) this.shift[l] = this.shift[l - 1] + this.bits[l - 1];
    if (b.pte < 1 || b.pmd < 1 || b.pgd < 1) throw new Error('pgd, pmd and pte levels cannot be folded');
  }
  folded(level: number): boolean {
    return this.bits[level] === 0;
  }
  entries(level: number): number {
    return 1 << this.bits[level];
  }
  /** Largest table, in 64-bit entries; every frame can hold one. */
  get maxEntries(): number {
    return Math.max(...this.bits.slice(1).map((b) => 1 << b));
  }
  index(level: number, vaddr: number): number {
    return Math.floor(vaddr / 2 ** this.shift[level]) & (this.entries(level) - 1);
  }
  /** Bytes mapped by one entry at this level (PMD_SIZE for level 2). */
  size(level: number): number {
    return 2 ** this.shift[level];
  }
  /** HPAGE_PMD_ORDER: a PMD leaf maps one whole pte table's worth of pages. */
  get thpOrder(): number {
    return this.bits[PTE];
  }
}

/** Hardware entry bits, x86-like; the value is a 64-bit number held exactly in a double. */
export const _PAGE_PRESENT = 0x1;
export const _PAGE_RW = 0x2;
export const _PAGE_USER = 0x4;
export const _PAGE_ACCESSED = 0x20;
export const _PAGE_DIRTY = 0x40;
/** PSE: a leaf at the pmd or pud level (pmd_leaf / pud_leaf). */
export const _PAGE_PSE = 0x80;
/** NX, a flag in the high word (bit 63 on x86, outside PTE_PFN_MASK, so pmd_flags has it).
 * Modeled at bit 52, the highest bit a double holds exactly together with the low bits;
 * entryPfn ignores it. No modeled writer sets it yet (an anonymous huge pmd on PAE with NX
 * would): only pmd_bad reads it. */
export const _PAGE_NX = 2 ** 52;

/**
 * Physical memory above 4 GB (x86-32 PAE, 36-bit physical addresses). The model names pages by
 * frame number; below HIGH_FRAME_BASE a frame's pfn is its number. Above, the frames come in
 * banks of HIGH_FRAME_BASE, one per 4 GB: frame b * HIGH_FRAME_BASE + i sits at pfn b * 2^20 + i,
 * so its entries have high word b and the low word of frame i ("the same value mod 4 GB"). A
 * machine has such frames only if it is booted with more than HIGH_FRAME_BASE frames; entries
 * are encoded and decoded through these two functions only.
 */
export const HIGH_FRAME_BASE = 64;
/** pfn of the first page above 4 GB: 4 GB / PAGE_SIZE */
export const PFN_4G = 2 ** (32 - PAGE_SHIFT);
export function pfnOfFrame(frame: number): number {
  if (frame < HIGH_FRAME_BASE) return frame;
  return Math.floor(frame / HIGH_FRAME_BASE) * PFN_4G + (frame % HIGH_FRAME_BASE);
}
/** The frame at a pfn; a pfn above 4 GB outside the banks maps to no frame (a huge number). */
export function frameOfPfn(pfn: number): number {
  if (pfn < PFN_4G) return pfn;
  const i = pfn % PFN_4G;
  return i < HIGH_FRAME_BASE ? Math.floor(pfn / PFN_4G) * HIGH_FRAME_BASE + i : Number.MAX_SAFE_INTEGER;
}

/** The frame an entry points at (its physical pfn mapped back to a frame number). */
export function entryPfn(v: number): number {
  return frameOfPfn(Math.floor((v % _PAGE_NX) / PAGE_SIZE));
}
export function entryFlags(v: number): number {
  return v % PAGE_SIZE;
}
/** An entry for a frame: its physical pfn (see pfnOfFrame) and flags. */
export function mkEntry(pfn: number, flags: number): number {
  return pfnOfFrame(pfn) * PAGE_SIZE + flags;
}
export function lo32(v: number): number {
  return v % 2 ** 32;
}
export function hi32(v: number): number {
  return Math.floor(v / 2 ** 32);
}
export function join64(lo: number, hi: number): number {
  return hi * 2 ** 32 + lo;
}
export function present(v: number): boolean {
  return (entryFlags(v) & _PAGE_PRESENT) !== 0;
}
export function leaf(v: number): boolean {
  return (entryFlags(v) & _PAGE_PSE) !== 0;
}
