#!/usr/bin/env node
/** The mmrace command. Exit codes: 0 verified (or, for --all, every row as expected),
 * 1 violated (or a row differs), 2 unknown (a budget ran out), 3 bad input or usage. */
import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { type CheckOptions, type CheckResult, check } from '../explore/check.js';
import { renderTable } from '../explore/trace.js';
import { CATALOG, findScenario } from '../scenarios/catalog.js';
import type { Scenario } from '../scenarios/scenario.js';
import { verdictTable } from './format.js';
import { bundleFor } from '../ui/bundle.js';
import { serveUi } from '../ui/server.js';

class UsageError extends Error {}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}
function positiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}

function scenario(id: string): Scenario {
  const s = findScenario(id);
  if (!s) throw new UsageError(`unknown scenario '${id}' (see 'mmrace list')`);
  return s;
}

/** check --json leaves out each step's state snapshot (ten times the size of the rest); the
 * trace from `explain --format json` keeps them, and `mmrace ui` replays what it shows. */
function withoutStates(key: string, value: unknown): unknown {
  return key === 'state' ? undefined : value;
}

function exitCode(r: CheckResult): number {
  return r.verdict === 'verified' ? 0 : r.verdict === 'violated' ? 1 : 2;
}

function checkOptions(o: { maxExecutions?: number; timeLimit?: number }): CheckOptions {
  return { maxExecutions: o.maxExecutions, timeLimitMs: o.timeLimit === undefined ? undefined : o.timeLimit * 1000 };
}

function summary(r: CheckResult): string {
  const lines = [`${r.id}: ${r.verdict}${r.property ? ` (${r.property})` : ''}   expected: ${r.expect}`];
  lines.push(`  ${r.executions} executions (${r.sleepBlocked} pruned by sleep sets) in ${(r.ms / 1000).toFixed(2)} s`);
  if (r.budget) lines.push(`  budget reached: ${r.budget}; the search was not exhaustive`);
  if (r.cutAtBound) lines.push(`  ${r.cutAtBound} executions cut at a retry-loop bound`);
  if (r.verdict === 'verified') lines.push('  exhaustive: every interleaving (up to trace equivalence) checked');
  if (r.trace) lines.push(`  counterexample: ${r.trace.steps.length} steps, ${r.trace.preemptions} preemptions (mmrace explain ${r.id})`);
  return lines.join('\n');
}

const program = new Command();
program.name('mmrace').description('Model checker for Linux mm lockless page-table walker races').exitOverride();

program
  .command('list')
  .description('list the built-in catalog')
  .option('--json', 'machine-readable output')
  .action((o: { json?: boolean }) => {
    const rows = CATALOG.map((s) => ({ id: s.id, family: s.family, variant: s.variant, question: s.question, expect: s.expect }));
    if (o.json) console.log(JSON.stringify(rows, null, 2));
    else for (const r of rows) console.log(`${r.id.padEnd(40)} expect ${r.expect.padEnd(9)} ${r.question}`);
  });

program
  .command('check')
  .description('explore a scenario (or the whole catalog) and give its verdict')
  .argument('[id]', 'catalog id (see list)')
  .option('--all', 'check every catalog row')
  .option('--json', 'machine-readable output')
  .option('--max-executions <n>', 'stop after this many executions (verdict unknown)', positiveInt)
  .option('--time-limit <seconds>', 'stop after this long (verdict unknown)', positiveSeconds)
  .action((id: string | undefined, o: { all?: boolean; json?: boolean; maxExecutions?: number; timeLimit?: number }) => {
    const opts = checkOptions(o);
    if (o.all) {
      const results = CATALOG.map((s) => check(s, opts));
      if (o.json) console.log(JSON.stringify(results, withoutStates, 2));
      else console.log(verdictTable(results, new Map(CATALOG.map((s) => [s.id, s.question]))));
      process.exitCode = results.every((r) => r.verdict === r.expect) ? 0 : 1;
      return;
    }
    if (!id) throw new UsageError('check needs a scenario id or --all');
    const r = check(scenario(id), opts);
    console.log(o.json ? JSON.stringify(r, withoutStates, 2) : summary(r));
    process.exitCode = exitCode(r);
  });

program
  .command('explain')
  .description('print the counterexample as a CPU A / CPU B table')
  .argument('<id>', 'catalog id')
  .option('--format <format>', 'table | commit | json', 'table')
  .option('--full', 'show every step, not only the racing ones')
  .action((id: string, o: { format: string; full?: boolean }) => {
    if (!['table', 'commit', 'json'].includes(o.format)) throw new UsageError(`--format must be table, commit or json, not '${o.format}'`);
    const s = scenario(id);
    const r = check(s);
    if (!r.trace) {
      console.log(`${id}: ${r.verdict}: no counterexample to explain (${r.executions} executions explored)`);
      process.exitCode = exitCode(r);
      return;
    }
    if (o.format === 'json') console.log(JSON.stringify(r.trace, null, 2));
    else {
      console.log(`${s.question}\n${id} (${s.config.arch}, kernel ${s.config.kernel}${s.config.patches.length ? ' ' + s.config.patches.join(' ') : ''})\n`);
      console.log(renderTable(r.trace, { width: o.format === 'commit' ? 72 : 120, full: o.full }));
    }
    process.exitCode = exitCode(r);
  });

function port(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
  return n;
}

program
  .command('ui')
  .description('serve the trace viewer on 127.0.0.1: a catalog id (checked first), a trace file (.json) or a scenario file (.yaml)')
  .argument('<target>', 'catalog id, trace.json (explain --format json, check --json) or scenario.yaml')
  .option('--port <n>', 'port to listen on (0: any free port)', port, 0)
  .option('--max-executions <n>', 'stop after this many executions (verdict unknown)', positiveInt)
  .option('--time-limit <seconds>', 'stop after this long (verdict unknown)', positiveSeconds)
  .option('--json', 'print the traces the viewer would show (steps and per-step state) instead of serving them')
  .action((target: string, o: { port: number; maxExecutions?: number; timeLimit?: number; json?: boolean }) => {
    let bundle;
    try {
      bundle = bundleFor(target, checkOptions(o));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (o.json) {
      console.log(JSON.stringify(bundle));
      return;
    }
    serveUi(bundle, { port: o.port }).then(
      (s) => {
        const t = bundle.traces[0];
        console.log(`${bundle.id}: ${bundle.verdict ?? bundle.origin}; ${t.label}, ${t.steps.length} steps`);
        console.log(`mmrace ui: serving on ${s.url}  (Ctrl-C to stop)`);
      },
      (err: Error) => {
        console.error(`mmrace ui: ${err.message}`);
        process.exit(3);
      },
    );
  });

try {
  program.parse();
} catch (err) {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 3);
  if (err instanceof UsageError) {
    console.error(`mmrace: ${err.message}`);
    process.exit(3);
  }
  throw err;
}
