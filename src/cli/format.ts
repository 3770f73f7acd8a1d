/** Text output of the CLI: the verdict table. */
import type { CheckResult } from '../explore/check.js';
import { type Counterexample, GLUE, type TableOptions, preemptionCount, tableRows } from '../explore/trace.js';

/** A row compared with its expectation. A row whose search was interrupted has no verdict to
 * compare (one interrupted while minimizing has its violation, and is compared). */
export function rowOutcome(r: CheckResult): 'as expected' | 'differs' | 'interrupted' {
  if (r.interrupted && r.verdict === 'unknown') return 'interrupted';
  return r.verdict === r.expect ? 'as expected' : 'differs';
}

/**
 * The verdict table of check --all. `overrides` (e.g. '--kernel v6.1') says the rows ran on
 * another configuration than their own: their expectations are shown as theirs, not compared.
 */
export function verdictTable(results: CheckResult[], questions: Map<string, string>, overrides?: string): string {
  const header = ['id', 'verdict', overrides ? 'expect (own config)' : 'expect', 'property', 'race', 'executions', 'time'];
  const rows = results.map((r) => [
    r.id,
    rowOutcome(r) === 'interrupted' ? 'interrupted' : r.verdict + (!overrides && rowOutcome(r) === 'differs' ? '  (!)' : ''),
    r.expect,
    r.property ?? '-',
    raceCell(r),
    String(r.executions),
    `${(r.ms / 1000).toFixed(2)} s`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i >= 5 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const out: string[] = [];
  let family = '';
  out.push(fmt(header));
  for (const [i, r] of results.entries()) {
    if (r.family !== family) {
      family = r.family;
      out.push('', `${family}: ${questions.get(r.id) ?? ''}`);
    }
    out.push(fmt(rows[i]));
  }
  const count = (o: ReturnType<typeof rowOutcome>) => results.filter((r) => rowOutcome(r) === o).length;
  const interrupted = count('interrupted') ? `, ${count('interrupted')} interrupted` : '';
  if (overrides) {
    const by = (v: string) => results.filter((r) => rowOutcome(r) !== 'interrupted' && r.verdict === v).length;
    const verdicts = ['violated', 'verified', 'vacuous', 'unknown'].filter((v) => by(v)).map((v) => `${by(v)} ${v}`).join(', ');
    out.push('', `${results.length} rows with ${overrides}: ${verdicts || 'none finished'}${interrupted}`);
    out.push('(each row\'s expectation is for its own configuration, without the overrides: not compared)');
  } else out.push('', `${results.length} rows, ${count('as expected')} as kernel history says, ${count('differs')} differ${interrupted}`);
  return out.join('\n');
}

export { preemptionCount };

/** What the verdict rests on: a counterexample's preemptions, or a proof's conflicting pairs
 * run in both orders (of those seen). */
export function raceCell(r: CheckResult): string {
  if (r.trace) return r.trace.preemptions >= 0 ? preemptionCount(r.trace.preemptions) : 'not minimized';
  if (r.verdict === 'verified' || r.verdict === 'vacuous') return `${r.coverage.bothOrders}/${r.coverage.pairs} pairs`;
  return '-';
}

/** The counterexample as a Markdown table (issues, reviews): one column per CPU. */
export function markdownTable(cx: Counterexample, opts: TableOptions = {}): string {
  const { cols, rows } = tableRows(cx, opts);
  // GFM: a '|' is escaped even in a code span inside a table; nothing else is (an entity there
  // would show as typed), while plain text also escapes what HTML would take for a tag
  const code = (s: string) => '`' + s.trim().replaceAll(GLUE, ' ').replace(/\|/g, '\\|') + '`';
  const text = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  const out = [`| ${cols.join(' | ')} |`, `|${cols.map(() => ' --- ').join('|')}|`];
  for (const r of rows) out.push(`| ${cols.map((_, i) => (i === r.col ? code(r.text) : '')).join(' | ')} |`);
  out.push('', `**${cx.violation.property}**: ${text(cx.violation.message)}`);
  return out.join('\n');
}
