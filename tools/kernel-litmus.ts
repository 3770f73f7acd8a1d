/**
 * node dist/tools/kernel-litmus.js <dir|file>... [--model lkmm|sc] [--timeout s] [--markdown]
 *
 * Runs `mmrace litmus --json` on every *.litmus file below the arguments (one process per file,
 * so a crash or a hang costs one row, not the run) and prints, per file, the result its header
 * comment states (`Result: ...`, as tools/memory-model/scripts/judgelitmus.sh reads it), ours, the
 * time, and whether they agree; then a summary. Meant for a kernel checkout's
 * tools/memory-model/litmus-tests and Documentation/litmus-tests (see docs/litmus-kernel-results.md);
 * the kernel's GPL tests are read in place, never copied here. Exits 1 when a result differs or a
 * file fails.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

interface Row {
  file: string;
  /** The header's result word(s): `Never`, `Sometimes DATARACE`, `DEADLOCK`, or `-` without one. */
  header: string;
  /** Ours, in the same words, or `error: ...` / `timeout`. */
  ours: string;
  ms: number | null;
  verdict: 'match' | 'MISMATCH' | 'error' | 'no header';
}

/** The subset of `mmrace litmus --json` this tool reads. */
interface JsonResult {
  file: string;
  observation?: string;
  flags?: string[];
  ms?: number;
  error?: string;
}

function litmusFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? litmusFiles(join(path, e.name)) : e.name.endsWith('.litmus') ? [join(path, e.name)] : []))
    .sort();
}

/** `Result: WORD [DATARACE]` from the file's text, judgelitmus.sh's convention. */
function headerOf(text: string): string {
  const m = /Result:[ \t]*(\S+)([^\n]*)/.exec(text);
  if (!m) return '-';
  return /\bDATARACE\b/.test(m[2]) ? `${m[1]} DATARACE` : m[1];
}

function runOne(file: string, model: string, timeoutMs: number): Pick<Row, 'ours' | 'ms'> {
  const p = spawnSync(process.execPath, [CLI, 'litmus', file, '--json', '--model', model], { encoding: 'utf8', timeout: timeoutMs });
  if (p.error && (p.error as NodeJS.ErrnoException).code === 'ETIMEDOUT') return { ours: `timeout (${timeoutMs / 1000} s)`, ms: null };
  let parsed: JsonResult[];
  try {
    parsed = JSON.parse(p.stdout) as JsonResult[];
  } catch {
    const why = (p.stderr || p.stdout).split('\n').find((l) => l.trim()) ?? `exit ${p.status}`;
    return { ours: `error: ${why.trim()}`, ms: null };
  }
  const r = parsed[0];
  if (!r || r.error !== undefined || !r.observation) return { ours: `error: ${r?.error ?? 'no result'}`, ms: null };
  const race = r.flags?.includes('data-race') ? ' DATARACE' : '';
  return { ours: `${r.observation}${race}`, ms: r.ms ?? null };
}

/** As judgelitmus.sh: DATARACE on both sides forgives the observation; otherwise both must agree. */
function verdictOf(header: string, ours: string): Row['verdict'] {
  if (ours.startsWith('error') || ours.startsWith('timeout')) return 'error';
  const [hObs, hRace] = [header.split(' ')[0], header.includes('DATARACE')];
  if (!['Never', 'Sometimes', 'Always'].includes(hObs)) return 'no header';
  const [oObs, oRace] = [ours.split(' ')[0], ours.includes('DATARACE')];
  if (hRace !== oRace) return 'MISMATCH';
  return hRace || hObs === oObs ? 'match' : 'MISMATCH';
}

function printPlain(rows: Row[]): void {
  const w = Math.max(...rows.map((r) => r.file.length), 4);
  const line = (c: string[]) => console.log(`${c[0].padEnd(w)}  ${c[1].padEnd(20)}${c[2].padEnd(22)}${c[3].padStart(9)}  ${c[4]}`);
  line(['file', 'header', 'ours', 'ms', '']);
  for (const r of rows) line([r.file, r.header, r.ours, r.ms === null ? '-' : r.ms.toFixed(1), r.verdict === 'match' ? '' : r.verdict]);
}

function printMarkdown(rows: Row[]): void {
  console.log('| file | herd7 (header) | mmrace | ms | |');
  console.log('| --- | --- | --- | ---: | --- |');
  for (const r of rows) console.log(`| ${r.file} | ${r.header} | ${r.ours} | ${r.ms === null ? '-' : r.ms.toFixed(1)} | ${r.verdict} |`);
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { model: { type: 'string', default: 'lkmm' }, timeout: { type: 'string', default: '60' }, markdown: { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) {
    console.error('usage: node dist/tools/kernel-litmus.js <dir|file>... [--model lkmm|sc] [--timeout s] [--markdown]');
    return 3;
  }
  const rows: Row[] = [];
  for (const root of positionals) {
    for (const file of litmusFiles(root)) {
      const header = headerOf(readFileSync(file, 'utf8'));
      const { ours, ms } = runOne(file, values.model!, Number(values.timeout) * 1000);
      const name = statSync(root).isDirectory() ? relative(root, file) : file;
      rows.push({ file: name, header, ours, ms, verdict: verdictOf(header, ours) });
    }
  }
  if (values.markdown) printMarkdown(rows);
  else printPlain(rows);
  const count = (v: Row['verdict']) => rows.filter((r) => r.verdict === v).length;
  const times = rows.flatMap((r) => (r.ms === null ? [] : [r.ms]));
  const total = times.reduce((a, b) => a + b, 0);
  console.log(
    `\n${rows.length} files: ${count('match')} match, ${count('MISMATCH')} differ, ${count('error')} failed, ` +
      `${count('no header')} without a comparable header; ${total.toFixed(0)} ms in all, slowest ${Math.max(0, ...times).toFixed(1)} ms`,
  );
  return count('MISMATCH') + count('error') > 0 ? 1 : 0;
}

process.exitCode = main();
