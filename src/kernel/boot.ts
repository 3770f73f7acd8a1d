/**
 * The state a scenario starts from, written straight into memory before any thread runs: an
 * mm with its locks, and anonymous mappings as if their page faults had already run
 * (do_anonymous_page: a small folio per pte, refcount 1, mapcount 1, on the LRU; or a
 * PMD-mapped THP). Not a modeled kernel path: nothing here is a step.
 */
import { Machine } from '../machine/machine.js';
import { Geometry, type GeometryConfig, PAGE_SIZE, PGD, PMD, PTE, _PAGE_PRESENT, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_RW, _PAGE_USER } from '../machine/mmu.js';
import type { Arch } from './arch/arch.js';
import { Kernel } from './kernel.js';
import { PG_anon_exclusive, PG_head, PG_lru, PG_swapcache, PG_uptodate, STRUCT_PAGE_WORDS } from './mm/mm_types.js';
import { mk_huge_pmd, mk_table_entry } from './mm/pgtable.js';
import { entryPfn, mkEntry } from '../machine/mmu.js';

export const DEFAULT_GEOMETRY: GeometryConfig = { bits: { pgd: 1, p4d: 0, pud: 1, pmd: 1, pte: 2 } };

export interface BootConfig {
  arch: Arch;
  patches: ReadonlySet<string>;
  cpus: number;
  frames?: number;
  geometry?: GeometryConfig;
  mutations?: ReadonlySet<string>;
  /** CPUs running the process (their TLBs hold its translations; they are in mm_cpumask). */
  mmCpus: number[];
}

const PTE_FLAGS = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

export function boot(cfg: BootConfig): Kernel {
  const geometry = new Geometry(cfg.geometry ?? DEFAULT_GEOMETRY);
  const frames = cfg.frames ?? 24;
  const machine = new Machine({ cpus: cfg.cpus, frames, staticWords: frames * STRUCT_PAGE_WORDS + 64, geometry });
  const k = new Kernel(machine, cfg.arch, cfg.patches, cfg.mutations);
  const mem = machine.mem;
  const words = (n: number) => mem.reserveStatic(n);
  const pgd = mem.alloc(0, { kind: 'table', level: PGD });
  k.mm = { pgd, mmap_lock: words(1), page_table_lock: words(1), write_protect_seq: words(1), replace_seq: words(1) };
  k.anonVma = { rwsem: words(1) };
  k.swap = { slots: 4, cache: words(4), map: words(4), lock: words(1), ci_lock: words(1) };
  k.names.set(k.swap.lock, 'swapper_space.i_pages xa_lock');
  k.names.set(k.swap.ci_lock, 'swap cluster lock (ci->lock)');
  for (let i = 0; i < k.swap.slots; i++) {
    k.names.set(k.swap.cache + i, `swap cache slot ${i}`);
    k.names.set(k.swap.map + i, `swap_map[${i}]`);
  }
  k.names.set(k.mm.mmap_lock, 'mm->mmap_lock');
  k.names.set(k.mm.page_table_lock, 'mm->page_table_lock');
  k.names.set(k.mm.write_protect_seq, 'mm->write_protect_seq');
  k.names.set(k.mm.replace_seq, 'mm->replace_seq');
  k.names.set(k.anonVma.rwsem, 'anon_vma->rwsem');
  setRefcount(k, pgd, 1);
  for (const c of cfg.mmCpus) machine.root[c] = pgd;
  return k;
}

function setRefcount(k: Kernel, pfn: number, v: number): void {
  k.machine.mem.words[k.memmap.field(pfn, '_refcount')] = v;
}

/** The table entry for `addr` at `level`, allocating missing tables on the way (__pte_alloc etc.). */
export function entryFor(k: Kernel, addr: number, level: number): number {
  const mem = k.machine.mem;
  const g = k.machine.geometry;
  let table = k.mm.pgd;
  for (let l = PGD; l > level; l--) {
    if (g.folded(l)) continue;
    const at = mem.frameBase(table) + 2 * g.index(l, addr);
    let v = mem.read(at, 2);
    if (v === 0) {
      const child = mem.alloc(0, { kind: 'table', level: nextLevel(g, l) });
      // the allocator gives -1 when it runs out: a table entry naming frame -1 would send the
      // walkers outside memory (a scenario file's layout reports this message at its entry)
      if (child < 0) throw new Error(`not enough memory for this layout (${mem.frames} frames, none left for a page table): raise 'frames'`);
      setRefcount(k, child, 1);
      v = mk_table_entry(child);
      mem.write(at, 2, v);
    }
    table = entryPfn(v);
  }
  return mem.frameBase(table) + 2 * g.index(level, addr);
}

function nextLevel(g: Geometry, l: number): number {
  let n = l - 1;
  while (g.folded(n)) n--;
  return n;
}

/** An anonymous range mapped by small pages; returns their pfns. Page i holds data 0x100 + i. */
export function mapAnonSmall(k: Kernel, start: number, npages: number): number[] {
  const mem = k.machine.mem;
  const pfns: number[] = [];
  for (let i = 0; i < npages; i++) {
    const addr = start + i * PAGE_SIZE;
    const pfn = mem.alloc(0, { kind: 'data' });
    setRefcount(k, pfn, 1);
    mem.words[k.memmap.field(pfn, '_mapcount')] = 1;
    mem.words[k.memmap.field(pfn, 'flags')] = PG_lru | PG_uptodate;
    mem.words[mem.frameBase(pfn)] = 0x100 + i;
    mem.words[k.memmap.field(pfn, 'index')] = addr / PAGE_SIZE;
    mem.write(entryFor(k, addr, PTE), 2, mkEntry(pfn, PTE_FLAGS));
    pfns.push(pfn);
  }
  addVma(k, start, start + npages * PAGE_SIZE);
  return pfns;
}

/** A PMD-mapped anonymous THP at `start` (PMD-aligned); returns the head pfn. */
export function mapAnonThp(k: Kernel, start: number): number {
  const mem = k.machine.mem;
  const order = k.machine.geometry.thpOrder;
  const head = mem.alloc(order, { kind: 'data' });
  setRefcount(k, head, 1);
  mem.words[k.memmap.field(head, '_mapcount')] = 1;
  mem.words[k.memmap.field(head, 'flags')] = PG_head | PG_lru | PG_uptodate;
  mem.words[k.memmap.field(head, 'order')] = order;
  for (let i = 0; i < 1 << order; i++) mem.words[k.memmap.field(head + i, 'index')] = start / PAGE_SIZE + i;
  for (let i = 1; i < 1 << order; i++) mem.words[k.memmap.field(head + i, 'compound_head')] = (head << 1) | 1;
  const pmd = entryFor(k, start, PMD);
  mem.write(pmd, 2, mk_huge_pmd(head, PTE_FLAGS));
  // pgtable_trans_huge_deposit: the fault deposits a pte table for a later split
  const deposit = mem.alloc(0, { kind: 'table', level: PTE });
  setRefcount(k, deposit, 1);
  mem.words[k.memmap.field(mem.frameOf(pmd), 'pmd_huge_pte')] = deposit + 1;
  addVma(k, start, start + (PAGE_SIZE << order));
  return head;
}

/** A THP mapped by ptes (as after a pmd split): head pfn; every pte maps one subpage. */
export function mapAnonThpByPtes(k: Kernel, start: number): number {
  const mem = k.machine.mem;
  const order = k.machine.geometry.thpOrder;
  const head = mem.alloc(order, { kind: 'data' });
  const nr = 1 << order;
  setRefcount(k, head, nr);
  mem.words[k.memmap.field(head, '_mapcount')] = nr;
  mem.words[k.memmap.field(head, 'flags')] = PG_head | PG_lru | PG_uptodate;
  mem.words[k.memmap.field(head, 'order')] = order;
  for (let i = 0; i < nr; i++) {
    if (i > 0) mem.words[k.memmap.field(head + i, 'compound_head')] = (head << 1) | 1;
    mem.words[k.memmap.field(head + i, 'index')] = start / PAGE_SIZE + i;
    mem.write(entryFor(k, start + i * PAGE_SIZE, PTE), 2, mkEntry(head + i, PTE_FLAGS));
  }
  addVma(k, start, start + nr * PAGE_SIZE);
  return head;
}

/** SWAP_HAS_CACHE (include/linux/swap.h): the swap_map bit of a slot the swap cache holds. */
export const SWAP_HAS_CACHE = 0x40;

/** Put a mapped small folio in the swap cache at `slot`, clean, as a swap-in by a read fault
 * leaves it (do_swap_page: the folio stays in the swap cache, the pte is mapped writable when
 * the page is exclusive but not dirty): slot allocated (SWAP_HAS_CACHE), the swap cache's
 * reference, PG_swapcache, folio->swap, and the pte's dirty bit cleared. */
export function addToSwapCache(k: Kernel, pfn: number, slot: number): void {
  const mem = k.machine.mem;
  mem.words[k.swap.cache + slot] = pfn + 1;
  mem.words[k.swap.map + slot] = SWAP_HAS_CACHE;
  mem.words[k.memmap.field(pfn, 'flags')] |= PG_swapcache;
  mem.words[k.memmap.field(pfn, 'private')] = slot;
  mem.words[k.memmap.field(pfn, '_refcount')] += 1;
  const pte = entryFor(k, mem.words[k.memmap.field(pfn, 'index')] * PAGE_SIZE, PTE);
  mem.write(pte, 2, mem.read(pte, 2) & ~_PAGE_DIRTY);
}

/** Mark the page PageAnonExclusive (only this process maps it: a write needs no COW). */
export function setAnonExclusive(k: Kernel, pfn: number): void {
  k.machine.mem.words[k.memmap.field(pfn, 'flags')] |= PG_anon_exclusive;
}

function addVma(k: Kernel, start: number, end: number): void {
  k.vmas.push({ start, end, anon_vma: k.anonVma });
}

/**
 * Steering the allocator at boot (not a kernel path): every free frame not in `keep` is marked
 * reserved, so the next allocations can only return frames of `keep` (or frames freed later,
 * which the LIFO hands out first). Returns the undo. With frames at or above HIGH_FRAME_BASE
 * (src/machine/mmu.ts) this places a page or a page table above 4 GB.
 */
export function reserveFreeFramesExcept(k: Kernel, keep: number[]): () => void {
  const mem = k.machine.mem;
  const taken: number[] = [];
  for (let f = 0; f < mem.frames; f++)
    if (mem.use[f].kind === 'free' && !keep.includes(f)) {
      mem.use[f] = { kind: 'reserved' };
      taken.push(f);
    }
  return () => {
    for (const f of taken) mem.use[f] = { kind: 'free' };
  };
}

import { PUD } from '../machine/mmu.js';

/**
 * A device-dax range (drivers/dax/device.c, align = PUD_SIZE) at `start` (PUD-aligned): the
 * device memory is a naturally aligned block of frames tagged 'device' (ZONE_DEVICE: no
 * refcounting by the mapping paths of that era), and a shared VMA covering one PUD. When
 * `mapped`, the huge pud is already installed, as an earlier __dev_dax_pud_fault left it
 * (`entry` is that pud value). Returns the device's first pfn.
 */
export function mapDevDax(k: Kernel, start: number, mapped: boolean, entry: (pfn: number) => number): number {
  const g = k.machine.geometry;
  if (g.folded(PUD)) throw new Error('mapDevDax needs an unfolded pud level');
  const order = g.bits[PMD] + g.bits[PTE]; // a PUD leaf maps a whole pmd table's worth of pages
  const pfn = k.machine.mem.alloc(order, { kind: 'device' });
  if (pfn < 0) throw new Error('mapDevDax: no room for the device range');
  const at = entryFor(k, start, PUD);
  if (mapped) k.machine.mem.write(at, 2, entry(pfn));
  addVma(k, start, start + g.size(PUD));
  return pfn;
}
