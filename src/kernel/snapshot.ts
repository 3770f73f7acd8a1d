/**
 * Ghost snapshot of the machine and kernel state, for traces and the trace viewer: the page
 * tables (reachable from the pgd, and table frames no longer reachable), every struct page's
 * counts, each CPU's IRQ, RCU and TLB state, IPIs and grace periods, named kernel words and the
 * references GUP handed out. Plain JSON, compact; nothing here is a step of the model.
 */
import type { Machine } from '../machine/machine.js';
import { LEVEL_NAMES, PAGE_SIZE, PGD, PTE, entryPfn, leaf, present } from '../machine/mmu.js';
import type { GupRecord, Kernel } from './kernel.js';
import { PAGE_FLAG_NAMES } from './mm/mm_types.js';

export type EntryKind = 'table' | 'leaf' | 'nonpresent';

export interface EntrySnap {
  /** index in its table */
  i: number;
  /** first virtual address the entry maps (for a table in the mm's tree; -1 when detached) */
  va: number;
  /** the 64-bit entry */
  v: number;
  kind: EntryKind;
  /** frame it points to (table, page, or a leaf's head page) */
  to: number;
}

export interface TableSnap {
  frame: number;
  level: number;
  /** allocation generation of the frame */
  gen: number;
  /** reachable from the mm's pgd */
  reachable: boolean;
  /** the split ptl word of the table page (0 unlocked) */
  ptl: number;
  /** pmd tables: the deposited pte table frame, or -1 */
  deposited: number;
  /** the entries that are not zero */
  entries: EntrySnap[];
}

export type PageUse = 'free' | 'data' | 'table' | 'reserved' | 'device';

export interface PageSnap {
  pfn: number;
  use: PageUse;
  /** table level when use is 'table' */
  level?: number;
  gen: number;
  ref: number;
  map: number;
  /** the fields below are left out at their default: pin 0, flags 0, head -1 (not a tail), order 0 */
  pin?: number;
  flags?: number;
  /** head pfn of the compound page, for a tail page */
  head?: number;
  order?: number;
  /** first word of a data page (the scenario's page contents) */
  data?: number;
}

export interface TlbSnap {
  va: number;
  frame: number;
  writable: boolean;
}

export interface CpuSnap {
  id: number;
  irqOn: boolean;
  /** IPI ticket whose handler runs in interrupt context, or -1 */
  inIrq: number;
  rcuNest: number;
  qs: number;
  rcuReader: boolean;
  /** runs the scenario's mm (its root is the mm's pgd) */
  mm: boolean;
  tlb: TlbSnap[];
}

export interface IpiSnap {
  ticket: number;
  name: string;
  sender: number;
  targets: number[];
  remaining: number[];
}

export interface GpSnap {
  ticket: number;
  waitingOn: number[];
}

/** Every page is listed that was ever allocated or has a nonzero field; others are all zero. */
export interface Snapshot {
  pgd: number;
  tables: TableSnap[];
  pages: PageSnap[];
  cpus: CpuSnap[];
  ipis: IpiSnap[];
  gps: GpSnap[];
  /** named kernel words (locks, sequence counts) */
  words: Array<{ name: string; value: number }>;
  /** references GUP returned to its callers */
  gup: GupRecord[];
}

export function flagNames(flags: number): string[] {
  return PAGE_FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
}

/** Static facts about a trace's machine, for the viewer. */
export interface MachineInfo {
  cpus: number;
  frames: number;
  levels: Array<{ level: number; name: string; entries: number; size: number; folded: boolean }>;
}

export function machineInfo(m: Machine): MachineInfo {
  const g = m.geometry;
  const levels = [];
  for (let l = PGD; l >= PTE; l--) levels.push({ level: l, name: LEVEL_NAMES[l], entries: g.entries(l), size: g.size(l), folded: g.folded(l) });
  return { cpus: m.cpus.length, frames: m.mem.frames, levels };
}

export function snapshot(k: Kernel): Snapshot {
  const m = k.machine;
  const mem = m.mem;
  const g = m.geometry;
  const word = (pfn: number, f: Parameters<typeof k.memmap.field>[1]) => mem.words[k.memmap.field(pfn, f)];
  const tables = new Map<number, TableSnap>();

  const nextLevel = (l: number) => {
    let n = l - 1;
    while (n >= PTE && g.folded(n)) n--;
    return n;
  };
  const readTable = (frame: number, level: number, base: number, reachable: boolean): TableSnap => {
    const entries: EntrySnap[] = [];
    const t: TableSnap = { frame, level, gen: mem.gen[frame], reachable, ptl: word(frame, 'ptl'), deposited: -1, entries };
    if (level === 2) {
      const dep = word(frame, 'pmd_huge_pte');
      if (dep) t.deposited = dep - 1;
    }
    for (let i = 0; i < g.entries(level); i++) {
      const v = mem.read(mem.frameBase(frame) + 2 * i, 2);
      if (v === 0) continue;
      const kind: EntryKind = !present(v) ? 'nonpresent' : level === PTE || leaf(v) ? 'leaf' : 'table';
      entries.push({ i, va: base < 0 ? -1 : base + i * g.size(level), v, kind, to: entryPfn(v) });
    }
    return t;
  };
  const visit = (frame: number, level: number, base: number): void => {
    if (tables.has(frame) || frame >= mem.frames) return;
    const use = mem.use[frame];
    if (use.kind !== 'table') return; // a pointer to a frame that is not a table: shown as an entry only
    const t = readTable(frame, level, base, true);
    tables.set(frame, t);
    for (const e of t.entries) if (e.kind === 'table') visit(e.to, nextLevel(level), e.va);
  };
  visit(k.mm.pgd, PGD, 0);
  for (let f = 0; f < mem.frames; f++) {
    const use = mem.use[f];
    if (use.kind === 'table' && !tables.has(f)) tables.set(f, readTable(f, use.level, -1, false));
  }

  // Compact: frames never allocated (generation 0, all fields zero) are left out, and so are
  // fields at their default (pin 0, flags 0, head -1, order 0).
  const pages: PageSnap[] = [];
  for (let pfn = 0; pfn < mem.frames; pfn++) {
    const use = mem.use[pfn];
    const ch = word(pfn, 'compound_head');
    const p: PageSnap = { pfn, use: use.kind, gen: mem.gen[pfn], ref: word(pfn, '_refcount') | 0, map: word(pfn, '_mapcount') | 0 };
    const pin = word(pfn, '_pincount') | 0;
    const flags = word(pfn, 'flags');
    const order = word(pfn, 'order');
    if (pin) p.pin = pin;
    if (flags) p.flags = flags;
    if (ch & 1) p.head = ch >>> 1;
    if (order) p.order = order;
    if (use.kind === 'table') p.level = use.level;
    if (use.kind === 'data') p.data = mem.words[mem.frameBase(pfn)];
    if (use.kind === 'free' && p.gen === 0 && !p.ref && !p.map && !pin && !flags && !(ch & 1) && !order) continue;
    pages.push(p);
  }

  const cpus: CpuSnap[] = m.cpus.map((c) => ({
    id: c.id,
    irqOn: c.irqOn,
    inIrq: c.inIrq,
    rcuNest: c.rcuNest,
    qs: c.qs,
    rcuReader: c.inRcuReader,
    mm: m.root[c.id] === k.mm.pgd,
    tlb: [...c.tlb].sort(([a], [b]) => a - b).map(([vpn, t]) => ({ va: vpn * PAGE_SIZE, frame: t.frame, writable: t.writable })),
  }));

  return {
    pgd: k.mm.pgd,
    tables: [...tables.values()],
    pages,
    cpus,
    ipis: m.ipiViews(),
    gps: m.gracePeriodViews(),
    words: [...k.names].sort(([a], [b]) => a - b).map(([addr, name]) => ({ name, value: mem.words[addr] })),
    gup: k.ghost.gup.map((x) => ({ ...x })),
  };
}

