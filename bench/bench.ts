/**
 * npm run bench [-- --json] [-- --quick] [-- --reduction optimal|dpor]: per catalog row,
 * executions, distinct Mazurkiewicz traces and executionsPerTrace (explored executions,
 * sleep-set-blocked ones included, per distinct trace: 1.00 is optimal), wall time (median of
 * runs), executions per second and peak RSS; then sweeps of entries per table and of CPUs on the
 * collapse question. Figures are machine-dependent: compare ratios within one run. --reduction
 * picks the explorer (default optimal, the one `check` uses); traces are named by
 * src/explore/canonical.ts.
 */
import { canonicalTrace } from '../src/explore/canonical.js';
import { explore } from '../src/explore/dpor.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import type { Scenario, ScenarioConfig } from '../src/scenarios/scenario.js';

const quick = process.argv.includes('--quick');
const json = process.argv.includes('--json');
const RUNS = quick ? 1 : 3;
const reductionArg = process.argv.includes('--reduction') ? process.argv[process.argv.indexOf('--reduction') + 1] : 'optimal';
if (reductionArg !== 'dpor' && reductionArg !== 'optimal') throw new Error(`--reduction: dpor or optimal, not ${reductionArg}`);
const reduction: 'dpor' | 'optimal' = reductionArg;
/** Counting traces replays every execution; above this many it is skipped. */
const TRACE_COUNT_LIMIT = quick ? 600 : 6000;

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

function main(): void {
  const catalog = CATALOG.map((s) => measure(s.id, s, s.config));
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
  for (let n = 2; n <= 4; n++) cpus.push(measure(`cpus=${n}`, base, { ...base.config, cpus: n, geometry: small }, quick ? 3_000 : 120_000));
  const out = { quick, runs: RUNS, reduction, node: process.version, catalog, sweeps: { entriesPerTable: entries, cpus } };
  if (json) console.log(JSON.stringify(out, null, 2));
  else
    console.log(
      [
        table(`catalog (reduction ${reduction})`, catalog),
        table(`\nsweep: entries per table (${base.id})`, entries),
        table(`\nsweep: CPUs (${base.id}, 2 entries per table; extra CPUs run GUP-fast too)`, cpus),
        '\n* a budget stopped this point: its figures cover part of the search',
      ].join('\n'),
    );
}

main();
