/**
 * Counterexample traces and the CPU A / CPU B table kernel developers draw in their mails: one
 * column per CPU (interrupt context marked), time going down. Steps that touch a location
 * another thread also touches (with a write on one side) are the race and are shown one by
 * one; runs of other steps are folded into one line naming their function.
 */
import type { StepRecord, ViolationInfo, World } from './runtime.js';

export interface Counterexample {
  id: string;
  config: unknown;
  schedule: number[];
  preemptions: number;
  violation: ViolationInfo;
  steps: StepRecord[];
  /** what each CPU does in the scenario, where the scenario states it (by CPU number) */
  roles?: Record<number, string>;
}

/** The roles a world's programs state, by CPU; undefined when none does. */
export function rolesOf(w: World): Record<number, string> | undefined {
  const roles = Object.fromEntries(w.programs.flatMap((p) => (p.role ? [[p.cpu, p.role]] : [])));
  return Object.keys(roles).length ? roles : undefined;
}

export interface TableOptions {
  /** total width in columns */
  width?: number;
  /** show every step instead of folding the ones that race with nothing */
  full?: boolean;
}

interface Row {
  col: number;
  text: string;
}

function value(target: string, v: unknown): string {
  if (typeof v === 'number') return /^(pgd|p4d|pud|pmd|pte)\[/.test(target) ? '0x' + v.toString(16) : String(v);
  return String(v);
}

function describe(s: StepRecord): string {
  const parts = [s.op, s.target].filter(Boolean).join(' ');
  let out = parts;
  if (s.read !== undefined && s.wrote !== undefined) out += ` ${value(s.target, s.read)} -> ${value(s.target, s.wrote)}`;
  else if (s.read !== undefined) out += ` = ${value(s.target, s.read)}`;
  else if (s.wrote !== undefined) out += ` := ${value(s.target, s.wrote)}`;
  return out;
}

/** Locations that more than one thread touches, at least one of them writing. */
export function racingLocations(steps: StepRecord[]): Set<number> {
  const touched = new Map<number, { threads: Set<number>; written: boolean }>();
  for (const s of steps) {
    if (!s.locs) continue;
    for (const [list, w] of [[s.locs.r, false], [s.locs.w, true]] as const)
      for (const l of list) {
        const t = touched.get(l) ?? { threads: new Set(), written: false };
        t.threads.add(s.thread);
        t.written ||= w;
        touched.set(l, t);
      }
  }
  const out = new Set<number>();
  for (const [l, t] of touched) if (t.threads.size > 1 && t.written) out.add(l);
  return out;
}

function columnOf(s: StepRecord, cols: string[]): number {
  const key = s.kind === 'rcu' ? 'RCU callbacks' : `CPU ${s.cpu}`;
  let i = cols.indexOf(key);
  if (i < 0) i = cols.push(key) - 1;
  return i;
}

export function tableRows(cx: Counterexample, opts: TableOptions = {}): { cols: string[]; rows: Row[] } {
  const racing = racingLocations(cx.steps);
  const cols: string[] = [];
  for (const s of cx.steps) columnOf(s, cols);
  cols.sort();
  const rows: Row[] = [];
  let folded: { col: number; thread: number; fns: string[]; n: number } | null = null;
  const flush = () => {
    if (folded) rows.push({ col: folded.col, text: `${folded.fns.join(', ')} (${folded.n} step${folded.n > 1 ? 's' : ''})` });
    folded = null;
  };
  const pathOf = new Map<number, string>();
  for (const s of cx.steps) {
    const col = columnOf(s, cols);
    if (s.path && pathOf.get(s.thread) !== s.path) {
      // the first step of the next path of the CPU's sequence
      flush();
      rows.push({ col, text: `>> ${s.path}` });
      pathOf.set(s.thread, s.path);
    }
    const irq = s.kind === 'irq' ? '[irq] ' : '';
    const shown = opts.full || s.index === cx.violation.step || s.notes.length > 0 || (s.locs && [...s.locs.r, ...s.locs.w].some((l) => racing.has(l)));
    if (!shown) {
      if (!folded || folded.thread !== s.thread) {
        flush();
        folded = { col, thread: s.thread, fns: [], n: 0 };
      }
      const f = folded as { fns: string[]; n: number };
      if (!f.fns.includes(irq + s.fn)) f.fns.push(irq + s.fn);
      f.n++;
      continue;
    }
    flush();
    rows.push({ col, text: `${irq}${s.fn}: ${describe(s)}` });
    for (const n of s.notes) rows.push({ col, text: `  <-- ${n}` });
  }
  flush();
  return { cols, rows };
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > width) {
    let cut = rest.lastIndexOf(' ', width);
    if (cut <= width / 3) cut = width;
    out.push(rest.slice(0, cut));
    rest = '  ' + rest.slice(cut).trimStart();
  }
  out.push(rest);
  return out;
}

/** The table as text: `width` columns in all (72 for a commit message). */
export function renderTable(cx: Counterexample, opts: TableOptions = {}): string {
  const { cols, rows } = tableRows(cx, opts);
  const width = opts.width ?? 120;
  const colWidth = Math.floor((width - 3 * (cols.length - 1)) / cols.length);
  const lines: string[] = [];
  const line = (cells: string[]) => lines.push(cells.map((c) => c.padEnd(colWidth)).join(' | ').trimEnd());
  line(cols);
  const roles = cx.roles;
  if (roles) line(cols.map((c) => (roles[Number(c.replace('CPU ', ''))] ?? '').slice(0, colWidth)));
  line(cols.map(() => '-'.repeat(colWidth)));
  for (const r of rows) {
    const chunks = wrap(r.text, colWidth);
    for (const c of chunks) line(cols.map((_, i) => (i === r.col ? c : '')));
  }
  lines.push('');
  for (const l of wrap(`${cx.violation.property.toUpperCase()}: ${cx.violation.message}`, width)) lines.push(l);
  return lines.join('\n');
}
