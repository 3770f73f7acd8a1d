/**
 * Final-state oracles (DESIGN §4): they read the machine and kernel state after a complete
 * execution; no scenario tells them the answer. Oracles 2, 3 (increment of a free page,
 * underflow, double free) and 6 fire during the step that breaks them; 7 is the runtime's.
 */
import { Violation } from '../machine/effects.js';
import { translate, walkTree } from '../kernel/introspect.js';
import type { Kernel } from '../kernel/kernel.js';
import { PG_swapcache } from '../kernel/mm/mm_types.js';
import { hex } from './runtime.js';
import { vmaTree } from '../kernel/mm/vma_tree.js';
import { PGD, PMD, PTE, entryPfn, leaf, present } from '../machine/mmu.js';

/** Oracle 1: a page GUP returned is no longer the page mapped at its address, and no
 * user-initiated operation unmapped that address. */
export function staleReference(k: Kernel): Violation | null {
  for (const g of k.ghost.gup) {
    const now = translate(k, g.addr);
    // a user unmap excuses the address changing, not a page that was freed and handed to
    // another owner before GUP referenced it (its frame generation changed since the pte read)
    const reused = g.gen !== undefined && k.machine.mem.gen[g.pfn] !== g.gen;
    if (now === g.pfn || k.ghost.userUnmaps.some((r) => g.addr >= r.start && g.addr < r.end)) {
      if (!reused) continue;
      return new Violation(
        'stale-reference',
        `gup_fast (cpu${g.cpu}) returned page ${g.pfn} for ${hex(g.addr)}, but the page was freed and reallocated since GUP read its pte: ` +
          `the caller holds another owner's page`,
      );
    }
    const where = now < 0 ? 'maps nothing' : `maps page ${now}`;
    return new Violation(
      'stale-reference',
      `gup_fast (cpu${g.cpu}) returned page ${g.pfn} for ${hex(g.addr)}, but at the end ${hex(g.addr)} ${where}: ` +
        `writes through the ${g.pin ? 'pin' : 'reference'} are lost`,
    );
  }
  return null;
}

/** Oracle 3 at the end: every data folio's count is its mappings plus the GUP references
 * still held; a free page has count 0. */
export function refcountBalance(k: Kernel): Violation | null {
  const mem = k.machine.mem;
  const { mappings } = walkTree(k);
  const held = new Map<number, number>();
  for (const g of k.ghost.gup) {
    const head = mem.words[k.memmap.field(g.pfn, 'compound_head')];
    const f = head & 1 ? head >>> 1 : g.pfn;
    held.set(f, (held.get(f) ?? 0) + g.refs);
  }
  for (const h of k.ghost.held) held.set(h.pfn, (held.get(h.pfn) ?? 0) + h.refs);
  for (let f = 0; f < mem.frames; f++) {
    const count = mem.words[k.memmap.field(f, '_refcount')] | 0;
    const use = mem.use[f];
    if (use.kind === 'free') {
      if (count !== 0) return new Violation('refcount', `free page ${f} has refcount ${count}`);
      continue;
    }
    if (use.kind !== 'data' || mem.words[k.memmap.field(f, 'compound_head')] & 1) continue;
    const swapcache = mem.words[k.memmap.field(f, 'flags')] & PG_swapcache ? 1 << (mem.words[k.memmap.field(f, 'order')] | 0) : 0;
    const expected = (mappings.get(f) ?? 0) + (held.get(f) ?? 0) + swapcache;
    if (count > expected)
      return new Violation('refcount', `leak: folio ${f} has refcount ${count} but only ${expected} mappings, swap-cache and GUP references`);
    if (count < expected)
      return new Violation('refcount', `folio ${f} has refcount ${count}, fewer than its ${expected} mappings, swap-cache and GUP references`);
  }
  return null;
}

/** Oracle 5: page tables left under a range that no vma covers, or populated by a fault on a
 * vma that is detached (removed from the tree by munmap / MAP_FIXED). Scenarios without a VMA
 * tree (vma_tree.ts) are not checked. */
export function orphanPageTables(k: Kernel): Violation | null {
  const t = vmaTree(k);
  if (!t) return null;
  const g = k.machine.geometry;
  const mem = k.machine.mem;
  const attached = t.slots.flatMap((s) => {
    const v = mem.words[s.word];
    if (!v) return [];
    const vma = t.vmas[v - 1];
    return mem.words[vma.detached] ? [] : [{ start: mem.words[vma.vm_start], end: mem.words[vma.vm_end] }];
  });
  const visit = (table: number, level: number, base: number): Violation | null => {
    if (level === PTE) {
      const end = base + g.size(PMD);
      if (!attached.some((r) => r.start < end && r.end > base))
        return new Violation('orphan-page-tables', `pte table ${table} is left under [${hex(base)}, ${hex(end)}), which no vma covers`);
      const owner = t.ptOwner.get(table);
      if (owner !== undefined && mem.words[t.vmas[owner].detached])
        return new Violation('orphan-page-tables', `pte table ${table} under ${hex(base)} was populated by a fault on vma ${t.vmas[owner].name}, which is detached (removed from the tree)`);
      return null;
    }
    for (let i = 0; i < g.entries(level); i++) {
      const v = mem.read(mem.frameBase(table) + 2 * i, 2);
      if (!present(v) || leaf(v)) continue;
      let next = level - 1;
      while (g.folded(next)) next--;
      const r = visit(entryPfn(v), next, base + i * g.size(level));
      if (r) return r;
    }
    return null;
  };
  return visit(k.mm.pgd, PGD, 0);
}

export function finalOracles(k: Kernel): Violation | null {
  return staleReference(k) ?? refcountBalance(k) ?? orphanPageTables(k);
}
