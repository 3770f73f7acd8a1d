/**
 * The bench's litmus section: every test of the shapes suite (test/litmus/shapes) through the
 * litmus runner under LKMM (parse, lower, brute-force `enumerate`, states, judgement), its wall
 * time (median of runs) and the total. A test the runner cannot take is listed with its error.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseLitmus } from '../src/litmus/parser.js';
import { runTest } from '../src/litmus/run.js';

export const SHAPES_DIR = fileURLToPath(new URL('../../test/litmus/shapes', import.meta.url));

export interface LitmusRow {
  file: string;
  observation: string;
  /** Consistent executions (outcomes) the engine found. */
  executions: number;
  msMedian: number;
  error?: string;
}

export interface LitmusBench {
  dir: string;
  runs: number;
  tests: LitmusRow[];
  /** Sum of the medians, over the tests that ran. */
  totalMs: number;
  slowest: { file: string; ms: number } | null;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export function benchLitmus(runs: number, dir = SHAPES_DIR): LitmusBench {
  const tests: LitmusRow[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.litmus')).sort()) {
    try {
      const test = parseLitmus(file, readFileSync(join(dir, file), 'utf8'));
      const times: number[] = [];
      let last = runTest(test, 'lkmm');
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        last = runTest(test, 'lkmm');
        times.push(performance.now() - t0);
      }
      tests.push({ file, observation: last.observation, executions: last.executions, msMedian: Number(median(times).toFixed(2)) });
    } catch (err) {
      tests.push({ file, observation: '-', executions: 0, msMedian: 0, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const ran = tests.filter((t) => !t.error);
  const top = ran.reduce<LitmusRow | null>((a, t) => (a === null || t.msMedian > a.msMedian ? t : a), null);
  return {
    dir,
    runs,
    tests,
    totalMs: Number(ran.reduce((s, t) => s + t.msMedian, 0).toFixed(1)),
    slowest: top && { file: top.file, ms: top.msMedian },
  };
}

export function litmusTable(b: LitmusBench): string {
  const w = Math.max(...b.tests.map((t) => t.file.length), 4);
  const line = (c: string[]) => `${c[0].padEnd(w)}  ${c[1].padEnd(10)}${c[2].padStart(11)}${c[3].padStart(13)}`;
  return [
    `\nlitmus: the shapes suite under LKMM (enumerate), median of ${b.runs} run(s)`,
    line(['file', 'result', 'executions', 'ms (median)']),
    ...b.tests.map((t) => (t.error ? `${t.file.padEnd(w)}  error: ${t.error}` : line([t.file, t.observation, String(t.executions), t.msMedian.toFixed(2)]))),
    `${b.tests.length} tests (${b.tests.filter((t) => t.error).length} failed): ${b.totalMs.toFixed(1)} ms in all` +
      (b.slowest ? `, slowest ${b.slowest.file} ${b.slowest.ms.toFixed(2)} ms` : ''),
  ].join('\n');
}
