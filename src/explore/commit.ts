/**
 * A counterexample's racing core, drawn for a commit message (explain --format commit): the
 * CPU A / CPU B columns of the mails, `width` (72) columns wide, a one-line summary of the
 * property on top. The rows are the races that decide the violation (races.ts; the first race
 * when none does, or without the scenario to try them on) and what orders them: the IRQ-off
 * section of the same CPU around them, an RCU section when another CPU waits for a grace
 * period, a lock section when another CPU takes that lock, and the TLB flushes, IPIs and grace
 * periods in between. The other races are added while the table fits `maxLines`. '...' stands
 * for the steps left out; text wraps between words, never inside one.
 */
import { propertyLine } from './properties.js';
import { type RacePair, conflictingSteps, decisiveRaces, racePairs } from './races.js';
import type { StepRecord, World } from './runtime.js';
import { type Counterexample, describe, preemptionCount, wrap } from './trace.js';

export interface CommitOptions {
  /** total width in columns (72) */
  width?: number;
  /** lines in all (30): races beyond the deciding ones are added while the text fits */
  maxLines?: number;
  /** a fresh world of the trace's scenario, to find the races that decide the violation */
  world?: () => World;
  /** what was checked (the id and its configuration), under the summary */
  title?: string;
}

const GAP = 2;
const ELLIPSIS = '...';
/** Ops shown when they fall between the first and the last race. */
const BETWEEN_OPS = new Set(['tlb_flush_local', 'tlbi_broadcast', 'ipi_send', 'ipi_wait', 'gp_start', 'gp_wait', 'call_rcu']);
const GRACE_OPS = new Set(['gp_start', 'gp_wait', 'call_rcu']);
/** Section boundaries: what kind of section an op opens (true) or closes (false). */
const SECTION: Record<string, [string, boolean]> = {
  irq_disable: ['irq', true],
  irq_enable: ['irq', false],
  rcu_read_lock: ['rcu', true],
  rcu_read_unlock: ['rcu', false],
  spin_lock: ['spin', true],
  spin_trylock: ['spin', true],
  spin_unlock: ['spin', false],
  down_read: ['read', true],
  up_read: ['read', false],
  down_write: ['write', true],
  up_write: ['write', false],
};

interface Section {
  kind: string;
  thread: number;
  target: string;
  open: number;
  /** the closing step, or the trace's length when it stays open */
  close: number;
}

function sections(steps: StepRecord[]): Section[] {
  const open = new Map<string, number[]>();
  const out: Section[] = [];
  steps.forEach((s, i) => {
    const b = SECTION[s.op];
    if (!b || (s.op === 'spin_trylock' && !s.read)) return;
    const key = `${s.thread} ${b[0]} ${s.target}`;
    const stack = open.get(key) ?? [];
    open.set(key, stack);
    if (b[1]) stack.push(i);
    else if (stack.length) out.push({ kind: b[0], thread: s.thread, target: s.target, open: stack.pop()!, close: i });
  });
  for (const [key, stack] of open)
    for (const i of stack) out.push({ kind: key.split(' ')[1], thread: steps[i].thread, target: steps[i].target, open: i, close: steps.length });
  return out;
}

/** The steps of the races, and what orders them (see the file's comment). */
function core(cx: Counterexample, races: RacePair[], conflicting: Set<number>): Set<number> {
  const steps = cx.steps;
  const shown = new Set<number>();
  for (const p of races) shown.add(p.a).add(p.b);
  if (cx.violation.step < steps.length) shown.add(cx.violation.step);
  if (shown.size === 0) return shown;
  const racing = [...shown];
  // an IRQ-off section always (whether it holds off the other CPU is the question); RCU against
  // a grace period; a lock against another CPU taking it (a read lock: for write)
  const matters = (x: Section) => {
    if (x.kind === 'irq') return true;
    const cpu = steps[x.open].cpu;
    if (x.kind === 'rcu') return steps.some((s) => s.cpu !== cpu && (GRACE_OPS.has(s.op) || s.kind === 'rcu'));
    const excludes = x.kind === 'read' ? ['write'] : ['spin', 'read', 'write'];
    return steps.some((s) => s.cpu !== cpu && s.target === x.target && excludes.includes(SECTION[s.op]?.[0]));
  };
  for (const x of sections(steps))
    if (matters(x) && racing.some((i) => steps[i].thread === x.thread && i > x.open && i < x.close)) {
      shown.add(x.open);
      if (x.close < steps.length) shown.add(x.close);
    }
  const [lo, hi] = [Math.min(...racing), Math.max(...racing)];
  for (let i = lo; i <= hi; i++) {
    const op = steps[i].op;
    if (BETWEEN_OPS.has(op) || ((op === 'alloc' || op === 'free') && conflicting.has(i))) shown.add(i);
  }
  return shown;
}

type Line = Map<number, string>;

/** The table's lines (cells by column) for the shown steps; columns are CPUs. */
function layout(steps: StepRecord[], shown: Set<number>, cpus: number[], w: number): Line[] {
  const at = (c: number) => c * (w + GAP);
  const lines: Line[] = [];
  const hidden = cpus.map(() => false);
  const fnAbove: Array<string | null> = cpus.map(() => null); // the function a continuation line belongs to
  let lastCol = -1;
  const put = (col: number, text: string) => {
    lines.push(new Map([[col, text]]));
    lastCol = col;
  };
  /** '...' for a column, on the last line when that column is free there */
  const ellipsis = (col: number) => {
    const last = lines[lines.length - 1];
    const free = last && !last.has(col) && [...last].every(([c, t]) => (c < col ? at(c) + t.length < at(col) : at(col) + ELLIPSIS.length < at(c)));
    if (free) last.set(col, ELLIPSIS);
    else put(col, ELLIPSIS);
    fnAbove[col] = null;
  };
  steps.forEach((s, i) => {
    const col = cpus.indexOf(s.cpu);
    if (!shown.has(i)) {
      hidden[col] = true;
      return;
    }
    if (hidden[col]) ellipsis(col);
    hidden[col] = false;
    const fn = (s.kind === 'irq' ? '[irq] ' : s.kind === 'rcu' ? '[rcu] ' : '') + s.fn;
    const text = describe(s, { short: true, glue: true });
    if (fnAbove[col] === fn && lastCol === col) for (const l of wrap(`  ${text}`, w)) put(col, l);
    else if (fn.length + 2 + text.length <= w) put(col, wrap(`${fn}: ${text}`, w)[0]);
    else for (const l of [fn, ...wrap(`  ${text}`, w)]) put(col, l);
    fnAbove[col] = fn;
    for (const n of s.notes) for (const l of wrap(`  <-- ${n}`, w)) put(col, l);
  });
  cpus.forEach((_, c) => hidden[c] && ellipsis(c));
  return lines;
}

/** Lines as text: a cell longer than its column runs on into the free ones (every step line has
 * one cell), or starts earlier at the right edge; never cut. */
function render(lines: Line[], w: number, width: number): string[] {
  return lines.map((line) => {
    let out = '';
    for (const [c, t] of [...line].sort((x, y) => x[0] - y[0])) {
      let text = t;
      if (text.length > width) text = text.trimStart();
      if (text.length > width) text = ELLIPSIS; // one word wider than the page: elided whole
      const start = Math.max(out.length ? out.length + 1 : 0, Math.min(c * (w + GAP), width - text.length));
      out = out.padEnd(start) + text;
    }
    return out.trimEnd();
  });
}

/** The table: column titles and rows, within `maxLines` when the deciding races allow it. */
export function commitTable(cx: Counterexample, opts: CommitOptions = {}): { lines: string[]; shown: number } {
  const width = opts.width ?? 72;
  const maxLines = opts.maxLines ?? 24;
  const cpus = [...new Set(cx.steps.map((s) => s.cpu))].sort((a, b) => a - b);
  const w = Math.floor((width - GAP * (cpus.length - 1)) / cpus.length);
  const conflicting = conflictingSteps(cx.steps);
  const all = racePairs(cx.steps);
  const deciding = opts.world ? decisiveRaces(cx, opts.world, all) : [];
  const chosen = deciding.length ? deciding : all.slice(0, 1);
  const draw = (races: RacePair[]) => {
    const shown = core(cx, races, conflicting);
    return { shown, lines: layout(cx.steps, shown, cpus, w) };
  };
  let best = draw(chosen);
  for (const p of all) {
    if (chosen.includes(p)) continue;
    const next = draw([...chosen, p]);
    if (next.lines.length + 1 > maxLines) continue;
    chosen.push(p);
    best = next;
  }
  const titles = render([new Map(cpus.map((cpu, c) => [c, `CPU ${cpu}`]))], w, width);
  return { lines: [...titles, ...render(best.lines, w, width)], shown: best.shown.size };
}

/** The whole text for a commit message: summary, what was checked, the table, the violation. */
export function commitMessage(cx: Counterexample, opts: CommitOptions = {}): string {
  const width = opts.width ?? 72;
  const head = wrap(propertyLine(cx.violation.property), width);
  const foot = wrap(`${cx.violation.property.toUpperCase()}: ${cx.violation.message}`, width);
  const pre = cx.preemptions >= 0 ? preemptionCount(cx.preemptions) : 'not minimized';
  const about = (shown: number) => wrap(`${opts.title ? `${opts.title}: ` : ''}${pre}; ${shown} of ${cx.steps.length} steps shown`, width);
  // the count of shown steps is known after the table: its line is measured with the widest count
  const rest = head.length + about(cx.steps.length).length + foot.length + 2;
  const { lines, shown } = commitTable(cx, { ...opts, maxLines: (opts.maxLines ?? 30) - rest });
  return [...head, ...about(shown), '', ...lines, '', ...foot].join('\n');
}
