/**
 * npm run bench [-- --json] [-- --quick] [-- --reduction dpor|optimal]: per catalog row,
 * executions, distinct Mazurkiewicz traces and executionsPerTrace (explored executions,
 * sleep-set-blocked ones included, per distinct trace: 1.00 is optimal), wall time (median of
 * runs), executions per second and peak RSS; then sweeps of entries per table and of CPUs on the
 * collapse question; then memory: the largest row (the most executions) in a fresh child
 * process at increasing --max-executions, its peak RSS each time (the stateless DFS keeps only
 * the current path, so it stays flat); then --jobs 1 vs 2 on the rows that take over a second
 * (the CLI's worker pool, speedup as a ratio). Figures are machine-dependent: compare ratios
 * within one run. --reduction picks the explorer (default optimal, the one `check` uses); traces
 * are named by src/explore/canonical.ts. The search is split into work items as `check` does
 * (--unsplit: one search from the root, the reduction alone). Last, the litmus section
 * (bench/litmus.ts): each test of the shapes suite under LKMM, its time and the total
 * (--only litmus runs that section alone).
 */
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { runJobs } from '../src/cli/run.js';
import { canonicalTrace } from '../src/explore/canonical.js';
import { explore as exploreWhole } from '../src/explore/dpor.js';
import { exploreSplit } from '../src/explore/partition.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import type { Scenario, ScenarioConfig } from '../src/scenarios/scenario.js';
import { benchLitmus, litmusTable } from './litmus.js';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const RUNS = quick ? 1 : 3;
const reductionArg = process.argv.includes('--reduction') ? process.argv[process.argv.indexOf('--reduction') + 1] : 'optimal';
if (reductionArg !== 'dpor' && reductionArg !== 'optimal') throw new Error(`--reduction: dpor or optimal, not ${reductionArg}`);
const reduction: 'dpor' | 'optimal' = reductionArg;
/** --unsplit: the reduction alone, one search from the root (check splits it into work items,
 * whose fully expanded top adds sleep-set-blocked prefixes) */
const unsplit = process.argv.includes('--unsplit');
/** --only litmus: the litmus section alone */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'litmus') throw new Error(`--only: litmus, not ${only}`);
const explore = unsplit ? exploreWhole : exploreSplit;
/** Counting traces replays every execution; above this many it is skipped. */
const TRACE_COUNT_LIMIT = quick ? 300 : 6000;

interface Row {
  id: string;
  verdict: string;
  /** the budget that stopped a sweep point early (its figures then cover part of the search) */
  budget: string | null;
  executions: number;
  sleepBlocked: number;
  traces: number | null;
  executionsPerTrace: number | null;
  msMedian: number;
  executionsPerSecond: number;
  peakRssMB: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function measure(id: string, s: Pick<Scenario, 'build'>, config: ScenarioConfig, timeLimitMs?: number): Row {
  const make = () => s.build(config);
  const times: number[] = [];
  let r = quick ? null : explore(make, { reduction, stopAtViolation: false, timeLimitMs }); // warm-up
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    r = explore(make, { reduction, stopAtViolation: false, timeLimitMs });
    times.push(performance.now() - t0);
  }
  if (!r) throw new Error('no run');
  let traces: number | null = null;
  if (r.executions <= TRACE_COUNT_LIMIT) {
    const seen = new Set<string>();
    explore(make, { reduction, stopAtViolation: false, onExecution: (_e, sched) => seen.add(canonicalTrace(make, sched)) });
    traces = seen.size;
  }
  const ms = median(times);
  return {
    id,
    verdict: r.verdict,
    budget: r.budget ?? null,
    executions: r.executions,
    sleepBlocked: r.sleepBlocked,
    traces,
    executionsPerTrace: traces ? Number(((r.executions + r.sleepBlocked) / traces).toFixed(2)) : null,
    msMedian: Number(ms.toFixed(1)),
    executionsPerSecond: Math.round(((r.executions + r.sleepBlocked) / ms) * 1000),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
  };
}

function table(title: string, rows: Row[]): string {
  const cols: Array<[string, (r: Row) => string]> = [
    ['id', (r) => r.id],
    ['verdict', (r) => r.verdict + (r.budget ? '*' : '')],
    ['executions', (r) => String(r.executions)],
    ['blocked', (r) => String(r.sleepBlocked)],
    ['traces', (r) => (r.traces === null ? '-' : String(r.traces))],
    ['exec/trace', (r) => (r.executionsPerTrace === null ? '-' : r.executionsPerTrace.toFixed(2))],
    ['ms (median)', (r) => r.msMedian.toFixed(1)],
    ['exec/s', (r) => String(r.executionsPerSecond)],
    ['RSS MB', (r) => String(r.peakRssMB)],
  ];
  const w = cols.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [title, line(cols.map(([h]) => h)), ...rows.map((r) => line(cols.map(([, f]) => f(r))))].join('\n');
}

interface JobsRow {
  id: string;
  msJobs1: number;
  msJobs2: number;
  speedup: number;
}

/** Wall time of the CLI's check (worker pool, work items) with 1 and 2 workers, interleaved. */
async function jobsSpeedup(id: string): Promise<JobsRow> {
  const job = { origin: { catalog: id }, overrides: {} };
  const t: Record<number, number[]> = { 1: [], 2: [] };
  for (let i = 0; i < RUNS; i++)
    for (const jobs of [1, 2]) {
      const t0 = performance.now();
      await runJobs([job], { check: {}, progress: false, jobs });
      t[jobs].push(performance.now() - t0);
    }
  const [a, b] = [median(t[1]), median(t[2])];
  return { id, msJobs1: Math.round(a), msJobs2: Math.round(b), speedup: Number((a / b).toFixed(2)) };
}

/** The row that explores the most (28k executions with the sleep-set-blocked ones). */
const LARGEST = 'pae-tear/pte-lockless-refault';

interface MemoryPoint {
  maxExecutions: number | null;
  verdict: string;
  executions: number;
  sleepBlocked: number;
  ms: number;
  baselineRssMB: number;
  peakRssMB: number;
}

/** One child process per point (bench/rss.ts): maxRSS is a process's high-water mark. */
function memory(): MemoryPoint[] {
  const script = fileURLToPath(new URL('./rss.js', import.meta.url));
  const points: Array<number | null> = quick ? [1000] : [1000, 4000, 16000, null];
  return points.map((n) => {
    const r = spawnSync(process.execPath, [script, LARGEST, ...(n === null ? [] : [String(n)])], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`bench/rss.js ${LARGEST} ${n ?? ''}: ${r.stderr}`);
    const j = JSON.parse(r.stdout) as Omit<MemoryPoint, 'maxExecutions'>;
    return { maxExecutions: n, verdict: j.verdict, executions: j.executions, sleepBlocked: j.sleepBlocked, ms: j.ms, baselineRssMB: j.baselineRssMB, peakRssMB: j.peakRssMB };
  });
}

function memoryTable(points: MemoryPoint[]): string {
  const head = ['max executions', 'verdict', 'executions', 'blocked', 'ms', 'RSS before MB', 'peak RSS MB'];
  const rows = points.map((p) => [p.maxExecutions === null ? 'full' : String(p.maxExecutions), p.verdict, String(p.executions), String(p.sleepBlocked), String(p.ms), String(p.baselineRssMB), String(p.peakRssMB)]);
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [`\nmemory: ${LARGEST}, each point in a fresh process`, line(head), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  if (only === 'litmus') {
    const litmus = benchLitmus(RUNS);
    console.log(json ? JSON.stringify({ quick, runs: RUNS, node: process.version, cores: availableParallelism(), litmus }, null, 2) : litmusTable(litmus));
    return;
  }
  // --quick caps each row at a second (marked * when the cap stopped it)
  const catalog = CATALOG.map((s) => measure(s.id, s, s.config, quick ? 1_000 : undefined));
  const base = CATALOG.find((s) => s.id === 'collapse/arm64-pmd-recheck')!;
  const maxBits = quick ? 3 : 4;
  const entries: Row[] = [];
  for (let bits = 1; bits <= maxBits; bits++) {
    const geometry = { bits: { pgd: 1, p4d: 0, pud: 1, pmd: 1, pte: bits } };
    entries.push(measure(`entries=${1 << bits}`, base, { ...base.config, geometry }));
  }
  // CPUs on a 2-entry geometry (the third CPU multiplies the interleavings ~180x); capped in time
  const cpus: Row[] = [];
  const small = { bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 1 } };
  for (let n = 2; n <= 4; n++) cpus.push(measure(`cpus=${n}`, base, { ...base.config, cpus: n, geometry: small }, quick ? 1_500 : 120_000));
  const mem = memory();
  // rows over a second (--quick: one of ~2 s; its rows are capped, so their times say little)
  const slow = quick ? ['split/pte-mapped-arm64'] : catalog.filter((r) => r.msMedian >= 1000).map((r) => r.id);
  const jobs: JobsRow[] = [];
  for (const id of slow) jobs.push(await jobsSpeedup(id));
  const litmus = benchLitmus(RUNS);
  const out = { quick, runs: RUNS, reduction, unsplit, node: process.version, cores: availableParallelism(), catalog, sweeps: { entriesPerTable: entries, cpus }, memory: { id: LARGEST, points: mem }, jobs, litmus };
  if (json) console.log(JSON.stringify(out, null, 2));
  else
    console.log(
      [
        table(`catalog (reduction ${reduction}${unsplit ? ', unsplit' : ', split into work items'})`, catalog),
        table(`\nsweep: entries per table (${base.id})`, entries),
        table(`\nsweep: CPUs (${base.id}, 2 entries per table; extra CPUs run GUP-fast too)`, cpus),
        '\n* a budget stopped this point: its figures cover part of the search',
        memoryTable(mem),
        `\n--jobs 1 vs 2 (${availableParallelism()} cores; rows over a second)`,
        ...jobs.map((j) => `${j.id.padEnd(48)} ${String(j.msJobs1).padStart(7)} ms ${String(j.msJobs2).padStart(7)} ms  x${j.speedup.toFixed(2)}`),
        litmusTable(litmus),
      ].join('\n'),
    );
}

await main();
