/**
 * Counterexample traces and the CPU A / CPU B table kernel developers draw in their mails: one
 * column per CPU (interrupt context marked), time going down. Every step that matters to the
 * race is shown (races.ts: conflicting accesses of different CPUs, IRQs, locks, IPIs, RCU, TLB
 * flushes, allocation and free); runs of the other steps, pure internals of one CPU's path, are
 * folded into one line that says how many steps of which functions it holds.
 */
import { pageFlagNames } from '../kernel/mm/mm_types.js';
import { SYNC_OPS, conflictingSteps } from './races.js';
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

export const preemptionCount = (n: number): string => `${n} preemption${n === 1 ? '' : 's'}`;

const PAGE_FLAGS = /->flags$/;

function value(target: string, v: unknown): string {
  if (typeof v !== 'number') return String(v);
  if (/^(pgd|p4d|pud|pmd|pte)\[/.test(target)) return '0x' + v.toString(16);
  if (PAGE_FLAGS.test(target)) return pageFlagNames(v);
  return String(v);
}

/** A flags word's change: the bits set (+name) and cleared (-name). */
function flagChange(before: number, after: number): string {
  const set = after & ~before;
  const cleared = before & ~after;
  const parts = [...(set ? pageFlagNames(set).split('|').map((n) => '+' + n) : []), ...(cleared ? pageFlagNames(cleared).split('|').map((n) => '-' + n) : [])];
  return parts.length ? parts.join(' ') : `${pageFlagNames(before)} (unchanged)`;
}

/** Joins the words of a name that wrap() must not break apart ('page 1->flags'). */
export const GLUE = '\u00a0';

/**
 * A step as text: `op target = read`, `:= wrote`, or `read -> wrote` (page flags by name, a
 * flags update as the bits it changes). `short` leaves out the table frame of an entry; `glue`
 * keeps the target's words together for wrap().
 */
export function describe(s: StepRecord, o: { short?: boolean; glue?: boolean } = {}): string {
  let target = o.short ? s.target.replace(/ \(table \d+\)$/, '') : s.target;
  if (o.glue) target = target.replace(/ /g, GLUE);
  let out = [s.op, target].filter(Boolean).join(' ');
  if (s.read !== undefined && s.wrote !== undefined)
    out += PAGE_FLAGS.test(s.target) && typeof s.read === 'number' && typeof s.wrote === 'number' ? ` ${flagChange(s.read, s.wrote)}` : ` ${value(s.target, s.read)} -> ${value(s.target, s.wrote)}`;
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

/** Whether a step stays on its own line: everything but the pure internals of one CPU. */
export function mattersToRace(s: StepRecord, i: number, conflicting: Set<number>, cx: Counterexample): boolean {
  return s.index === cx.violation.step || s.notes.length > 0 || SYNC_OPS.has(s.op) || conflicting.has(i);
}

export function tableRows(cx: Counterexample, opts: TableOptions = {}): { cols: string[]; rows: Row[] } {
  const conflicting = conflictingSteps(cx.steps);
  const cols: string[] = [];
  for (const s of cx.steps) columnOf(s, cols);
  cols.sort();
  const rows: Row[] = [];
  let folded: { col: number; thread: number; fns: string[]; n: number } | null = null;
  const flush = () => {
    if (folded) rows.push({ col: folded.col, text: `… ${folded.n} internal step${folded.n > 1 ? 's' : ''} of ${folded.fns.join(', ')} folded` });
    folded = null;
  };
  const pathOf = new Map<number, string>();
  cx.steps.forEach((s, i) => {
    const col = columnOf(s, cols);
    if (s.path && pathOf.get(s.thread) !== s.path) {
      // the first step of the next path of the CPU's sequence
      flush();
      rows.push({ col, text: `>> ${s.path}` });
      pathOf.set(s.thread, s.path);
    }
    const irq = s.kind === 'irq' ? '[irq] ' : '';
    if (!opts.full && !mattersToRace(s, i, conflicting, cx)) {
      if (!folded || folded.thread !== s.thread) {
        flush();
        folded = { col, thread: s.thread, fns: [], n: 0 };
      }
      const f = folded as { fns: string[]; n: number };
      if (!f.fns.includes(irq + s.fn)) f.fns.push(irq + s.fn);
      f.n++;
      return;
    }
    flush();
    rows.push({ col, text: `${irq}${s.fn}: ${describe(s, { glue: true })}` });
    for (const n of s.notes) rows.push({ col, text: `  <-- ${n}` });
  });
  flush();
  return { cols, rows };
}

/**
 * Lines of at most `width` columns, broken between words (or after a '|' of a flag list), never
 * inside one nor inside a name glued with GLUE: a word longer than the width gets a line of its own and overflows it. Lines
 * after the first are indented two more than the text's own indent.
 */
export function wrap(text: string, width: number): string[] {
  const indent = /^ */.exec(text)![0];
  const pieces: Array<{ text: string; glued: boolean }> = [];
  for (const word of text.trim().split(/ +/))
    word.split(/(?<=\|)/).forEach((p, i) => pieces.push({ text: p, glued: i > 0 }));
  const out: string[] = [];
  let line = indent;
  let empty = true;
  for (const p of pieces) {
    const joined = empty ? line + p.text : line + (p.glued ? '' : ' ') + p.text;
    if (empty || joined.length <= width) line = joined;
    else {
      out.push(line);
      line = `${indent}  ${p.text}`;
    }
    empty = false;
  }
  out.push(line);
  return out.map((l) => l.replaceAll(GLUE, ' '));
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
