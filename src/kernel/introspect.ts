/**
 * Ghost reads of the kernel's state for oracles and traces: software page walks, the set of
 * mappings of each folio, and names for addresses. Nothing here is a step of the model.
 */
import { LEVEL_NAMES, PAGE_SIZE, PGD, PTE, entryPfn, leaf, present } from '../machine/mmu.js';
import type { Kernel } from './kernel.js';
import { is_swap_pte, swp_offset } from './mm/pgtable.js';

/** The page mapped at vaddr in the mm's tables, or -1. */
export function translate(k: Kernel, vaddr: number): number {
  const g = k.machine.geometry;
  const mem = k.machine.mem;
  let table = k.mm.pgd;
  for (let level = PGD; level >= PTE; level--) {
    if (g.folded(level)) continue;
    const v = mem.read(mem.frameBase(table) + 2 * g.index(level, vaddr), 2);
    if (level === PTE && is_swap_pte(v)) {
      // a fault would map the swap cache's folio for this slot
      const slot = swp_offset(v);
      return slot < k.swap.slots ? mem.words[k.swap.cache + slot] - 1 : -1;
    }
    if (!present(v)) return -1;
    if (level === PTE) return entryPfn(v);
    if (leaf(v)) return entryPfn(v) + Math.floor((vaddr % g.size(level)) / PAGE_SIZE);
    table = entryPfn(v);
  }
  return -1;
}

/** The folio (head pfn) a page belongs to, from compound_head. */
export function folioOf(k: Kernel, pfn: number): number {
  const h = k.machine.mem.words[k.memmap.field(pfn, 'compound_head')];
  return h & 1 ? h >>> 1 : pfn;
}

export interface TreeInfo {
  /** folio head pfn -> number of present leaf entries mapping it */
  mappings: Map<number, number>;
  /** table frames reachable from the pgd, plus deposited pte tables */
  tables: Set<number>;
}

/** Walk the whole tree of the mm. */
export function walkTree(k: Kernel): TreeInfo {
  const g = k.machine.geometry;
  const mem = k.machine.mem;
  const info: TreeInfo = { mappings: new Map(), tables: new Set() };
  const visit = (table: number, level: number): void => {
    info.tables.add(table);
    if (level === 2) {
      const dep = mem.words[k.memmap.field(table, 'pmd_huge_pte')];
      if (dep) info.tables.add(dep - 1);
    }
    for (let i = 0; i < g.entries(level); i++) {
      const v = mem.read(mem.frameBase(table) + 2 * i, 2);
      if (!present(v)) continue;
      if (level === PTE || leaf(v)) {
        const f = folioOf(k, entryPfn(v));
        info.mappings.set(f, (info.mappings.get(f) ?? 0) + 1);
        continue;
      }
      let next = level - 1;
      while (g.folded(next)) next--;
      visit(entryPfn(v), next);
    }
  };
  visit(k.mm.pgd, PGD);
  return info;
}

/** A name for a memory word, for traces. */
export function symbol(k: Kernel, addr: number): string {
  const mem = k.machine.mem;
  const named = k.names.get(addr);
  if (named) return named;
  const field = k.memmap.decode(addr, mem.frames);
  if (field) return `page ${field.pfn}->${field.field}`;
  const frame = mem.frameOf(addr);
  if (frame < 0) return `word ${addr}`;
  const use = mem.use[frame];
  const off = addr - mem.frameBase(frame);
  if (use.kind === 'table') return `${LEVEL_NAMES[use.level]}[${off >> 1}]${off & 1 ? '.hi' : ''} (table ${frame})`;
  if (use.kind === 'data') return `data of page ${frame}`;
  return `frame ${frame} (${use.kind}) +${off}`;
}
