/**
 * Built-in layouts and the paths several families share (GUP-fast). Family-specific paths are
 * registered next to their family (collapse.ts, reclaim.ts, split.ts, ...).
 */
import { z } from 'zod';
import {
  addToSwapCache, entryFor, FOLL_GET, FOLL_PIN, FOLL_WRITE, gup_fast_fallback, HIGH_FRAME_BASE, initVmaTree,
  type Kernel, mapAnonSmall, mapAnonThp, mapAnonThpByPtes, PAGE_SIZE, PMD, PTE, reserveFreeFramesExcept,
  setAnonExclusive, type VmaTree,
} from '../kernel/index.js';
import { Address, ArgError, type Env, defineLayout, definePath, defineSetup, hexs } from './paths.js';

export const FOLL_FLAGS: Record<string, number> = { FOLL_WRITE, FOLL_GET, FOLL_PIN };

/** The allocator returns -1 when it runs out: say so instead of mapping frame -1. */
function outOfFrames(k: Kernel, pfns: number[]): void {
  if (pfns.some((p) => p < 0)) throw new ArgError([], `not enough memory for this layout (${k.machine.mem.frames} frames): raise 'frames'`);
}

/** Allocate addr's pte table at frame HIGH_FRAME_BASE + P, P the frame its first page will get
 * (src/scenarios/pae-tear.ts, the pmd rows). On x86-32 PAE that is CONFIG_HIGHPTE: without it
 * pte tables are allocated from lowmem and their pmds have high word 0. */
function placeTableHigh(k: Kernel, addr: number): void {
  const mem = k.machine.mem;
  if (mem.frames <= HIGH_FRAME_BASE) throw new ArgError(['table_high'], `needs memory above 4 GB: set 'frames' above ${HIGH_FRAME_BASE}`);
  const high = HIGH_FRAME_BASE + mem.pick(0);
  if (high >= mem.frames || mem.use[high].kind !== 'free') throw new ArgError(['table_high'], `frame ${high} is not free: raise 'frames'`);
  const undo = reserveFreeFramesExcept(k, [high]);
  entryFor(k, addr, PTE);
  undo();
  if ((mem.use[high] as { kind: string }).kind !== 'table') throw new ArgError(['table_high'], `the pte table of ${hexs(addr)} already exists (an earlier region shares it)`);
}

defineLayout('anon-small', {
  description: 'anonymous memory mapped by small pages, as after their page faults (page i holds 0x100 + i)',
  words: ['at', 'pages'],
  args: z
    .object({
      at: Address,
      pages: z.number().int().positive().optional().describe('default: one PMD range'),
      swapcache: z.boolean().default(false).describe('also in the swap cache (clean, as after swap-in)'),
      exclusive: z
        .boolean()
        .default(true)
        .describe('PageAnonExclusive, as do_anonymous_page sets it from v5.19; false: the writable pte maps a page the kernel would share'),
      name: z.string().regex(/^\w+$/).optional().describe('the VMA name (for the vma-tree setup)'),
      table_high: z
        .boolean()
        .default(false)
        .describe('x86-32 PAE with CONFIG_HIGHPTE (without it pte tables stay in lowmem, below 4 GB): the pte table above 4 GB, with the low word of the first page (a torn pmd read names that page)'),
    })
    .strict(),
  apply(k, a, env) {
    if (a.at % PAGE_SIZE) throw new ArgError(['at'], `${hexs(a.at)} is not page-aligned (a multiple of ${hexs(PAGE_SIZE)})`);
    const pages = a.pages ?? k.machine.geometry.entries(PTE);
    env.requireInSpace(a.at, pages, ['at']);
    if (a.swapcache && pages > k.swap.slots) throw new ArgError(['pages'], `at most ${k.swap.slots} pages fit in the swap cache`);
    if (a.table_high) placeTableHigh(k, a.at);
    const pfns = mapAnonSmall(k, a.at, pages);
    outOfFrames(k, pfns);
    pfns.forEach((p, i) => {
      if (a.swapcache) addToSwapCache(k, p, i);
      if (a.exclusive) setAnonExclusive(k, p);
    });
    return { layout: 'anon-small', start: a.at, end: a.at + pages * PAGE_SIZE, pfns };
  },
});

defineLayout('anon-thp', {
  description: 'an anonymous THP mapped by a huge pmd, or by ptes (ptes: true, as after a pmd split)',
  words: ['at'],
  args: z
    .object({
      at: Address,
      ptes: z.boolean().default(false),
      exclusive: z.boolean().default(true).describe('every subpage PageAnonExclusive (as the THP fault sets it from v5.19)'),
      name: z.string().regex(/^\w+$/).optional().describe('the VMA name (for the vma-tree setup)'),
    })
    .strict(),
  apply(k, a) {
    const g = k.machine.geometry;
    if (a.at % g.size(PMD)) throw new ArgError(['at'], `${hexs(a.at)} is not PMD-aligned (a multiple of ${hexs(g.size(PMD))})`);
    const head = a.ptes ? mapAnonThpByPtes(k, a.at) : mapAnonThp(k, a.at);
    outOfFrames(k, [head]);
    const n = g.entries(PTE);
    const pfns = Array.from({ length: n }, (_, i) => head + i);
    if (a.exclusive) for (const p of pfns) setAnonExclusive(k, p);
    return { layout: 'anon-thp', start: a.at, end: a.at + n * PAGE_SIZE, pfns, head };
  },
});

definePath('gup_fast', {
  description: 'pin_user_pages_fast / get_user_pages_fast of `pages` pages at addr (the caller keeps them)',
  process: true,
  args: z
    .object({
      addr: Address,
      pages: z.number().int().positive().default(1),
      flags: z
        .array(z.enum(Object.keys(FOLL_FLAGS) as [string, ...string[]]))
        .default(['FOLL_PIN', 'FOLL_WRITE']),
    })
    .strict(),
  check: (a, env) => void env.requireRange(a.addr, a.pages, ['addr']),
  run: (c, a) => gup_fast_fallback(c, a.addr, a.pages, a.flags.reduce((f, n) => f | FOLL_FLAGS[n], 0)),
});

defineSetup('vma-tree', {
  description: 'the VMA tree (maple tree, per-VMA locks) over the mapped regions, named by their name:, plus spare VMAs for mmap to insert',
  args: z.object({ spare: z.array(z.string().regex(/^\w+$/)).default([]) }).strict(),
  apply(k, a, env) {
    const ranges = env.regions.map((r, i) => ({ name: r.name ?? `r${i}`, start: r.start, end: r.end, mapped: true }));
    const clash = a.spare.find((n) => ranges.some((r) => r.name === n));
    if (clash) throw new ArgError(['spare'], `'${clash}' already names a mapped region`);
    env.state.set('vma-tree', initVmaTree(k, ranges, a.spare));
  },
});

/** The VMA tree the vma-tree setup built (paths that need one check for it). */
export function vmaTreeOf(env: Env, field: Array<string | number>): VmaTree {
  const t = env.state.get('vma-tree') as VmaTree | undefined;
  if (!t) throw new ArgError(field, "this path needs the VMA tree: add 'setup: [vma-tree]' after map");
  return t;
}
