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

/** Oracle 1: a page GUP returned is no longer the page mapped at its address, and no
 * user-initiated operation unmapped that address. */
export function staleReference(k: Kernel): Violation | null {
  for (const g of k.ghost.gup) {
    const now = translate(k, g.addr);
    if (now === g.pfn) continue;
    if (k.ghost.userUnmaps.some((r) => g.addr >= r.start && g.addr < r.end)) continue;
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

export function finalOracles(k: Kernel): Violation | null {
  return staleReference(k) ?? refcountBalance(k);
}
