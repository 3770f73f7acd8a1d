/** What changed between the state before a step and the state after it. */
import type { CpuSnap, PageSnap, Snapshot, TableSnap } from '../../kernel/snapshot.js';

export interface PageFields {
  use: string;
  ref: number;
  map: number;
  pin: number;
  flags: number;
  head: number;
  order: number;
  gen: number;
  data: number | undefined;
}

/** A page with every field present (the snapshot leaves defaults out). */
export function pageFields(p: PageSnap | undefined): PageFields {
  if (!p) return { use: 'free', ref: 0, map: 0, pin: 0, flags: 0, head: -1, order: 0, gen: 0, data: undefined };
  return {
    use: p.use === 'table' ? `table${p.level}` : p.use,
    ref: p.ref,
    map: p.map,
    pin: p.pin ?? 0,
    flags: p.flags ?? 0,
    head: p.head ?? -1,
    order: p.order ?? 0,
    gen: p.gen,
    data: p.data,
  };
}

export interface Diff {
  /** `${frame}:${index}` of entries whose value changed -> the value before (0 when none) */
  entries: Map<string, number>;
  /** table frames that became or stopped being tables, or reachable */
  tables: Set<number>;
  /** pfn -> fields that changed, with their value before */
  pages: Map<number, Map<keyof PageFields, unknown>>;
  /** cpu -> fields that changed ('irqOn', 'inIrq', 'rcuNest', 'tlb', ...) */
  cpus: Map<number, Set<string>>;
  ipis: Set<number>;
  gps: Set<number>;
  words: Set<string>;
  gup: boolean;
}

function tableKey(t: TableSnap): string {
  return `${t.level}:${t.reachable}:${t.gen}`;
}

export function diff(prev: Snapshot | null, cur: Snapshot | null): Diff {
  const d: Diff = { entries: new Map(), tables: new Set(), pages: new Map(), cpus: new Map(), ipis: new Set(), gps: new Set(), words: new Set(), gup: false };
  if (!prev || !cur) return d;
  const prevTables = new Map(prev.tables.map((t) => [t.frame, t]));
  const curTables = new Map(cur.tables.map((t) => [t.frame, t]));
  for (const [frame, t] of curTables) {
    const p = prevTables.get(frame);
    if (!p || tableKey(p) !== tableKey(t) || p.ptl !== t.ptl || p.deposited !== t.deposited) d.tables.add(frame);
    const before = new Map((p && p.gen === t.gen ? p.entries : []).map((e) => [e.i, e.v]));
    const after = new Map(t.entries.map((e) => [e.i, e.v]));
    for (const i of new Set([...before.keys(), ...after.keys()]))
      if ((before.get(i) ?? 0) !== (after.get(i) ?? 0)) d.entries.set(`${frame}:${i}`, before.get(i) ?? 0);
  }
  for (const frame of prevTables.keys()) if (!curTables.has(frame)) d.tables.add(frame);

  const prevPages = new Map(prev.pages.map((p) => [p.pfn, p]));
  const curPages = new Map(cur.pages.map((p) => [p.pfn, p]));
  for (const pfn of new Set([...prevPages.keys(), ...curPages.keys()])) {
    const a = pageFields(prevPages.get(pfn));
    const b = pageFields(curPages.get(pfn));
    const changed = new Map<keyof PageFields, unknown>();
    for (const k of Object.keys(a) as Array<keyof PageFields>) if (a[k] !== b[k]) changed.set(k, a[k]);
    if (changed.size) d.pages.set(pfn, changed);
  }

  const cpuFields: Array<keyof CpuSnap> = ['irqOn', 'inIrq', 'rcuNest', 'qs', 'rcuReader', 'mm'];
  for (const c of cur.cpus) {
    const p = prev.cpus.find((x) => x.id === c.id);
    const s = new Set<string>();
    if (!p) continue;
    for (const f of cpuFields) if (p[f] !== c[f]) s.add(f);
    if (JSON.stringify(p.tlb) !== JSON.stringify(c.tlb)) s.add('tlb');
    if (s.size) d.cpus.set(c.id, s);
  }
  for (const x of cur.ipis) {
    const p = prev.ipis.find((y) => y.ticket === x.ticket);
    if (!p || p.remaining.length !== x.remaining.length) d.ipis.add(x.ticket);
  }
  for (const x of cur.gps) {
    const p = prev.gps.find((y) => y.ticket === x.ticket);
    if (!p || p.waitingOn.length !== x.waitingOn.length) d.gps.add(x.ticket);
  }
  for (const w of cur.words) if (prev.words.find((x) => x.name === w.name)?.value !== w.value) d.words.add(w.name);
  d.gup = prev.gup.length !== cur.gup.length;
  return d;
}
