#!/usr/bin/env node
/** The mmrace command. Exit codes: 0 verified (or, for --all, every row as expected),
 * 1 violated (or a row differs), 2 unknown (a budget ran out, or interrupted), 3 bad input or
 * usage. --all with --arch/--kernel/--patch compares no row with its expectation (that is for
 * the row's own configuration): 1 if a row is violated, else 2 if one is unknown, else 0. Bad input gets a one-line message naming what was wrong, never a stack trace. */
import { realpathSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import type { CheckOptions, CheckResult } from '../explore/check.js';
import { replay } from '../explore/runtime.js';
import { SoloViolation } from '../explore/solo.js';
import { commitMessage } from '../explore/commit.js';
import { type Counterexample, renderTable, rolesOf } from '../explore/trace.js';
import { kernelRangeWarning } from '../kernel/arch/arch.js';
import { ARCHES, archByName } from '../kernel/arch/index.js';
import { KERNELS } from '../kernel/patches.js';
import { CATALOG } from '../scenarios/catalog.js';
import { InputError } from '../scenarios/file.js';
import type { Scenario } from '../scenarios/scenario.js';
import { markdownTable, preemptionCount, rowOutcome, verdictTable } from './format.js';
import { type ListOptions, listing } from './list.js';
import { litmusCommand } from './litmus.js';
import { runJobs, runShard } from './run.js';
import { mergeShards, parseShard, shardFile } from './shards.js';
import { bundleFor, registerScenarioFileLoader } from '../ui/bundle.js';
import { HOST, serveUi } from '../ui/server.js';
import { loadScenarioFile } from '../scenarios/file.js';
import { type Job, type TraceFile, readTrace, resolveTarget, traceJob } from './scenarios.js';

class UsageError extends Error {}

registerScenarioFileLoader((path) => loadScenarioFile(path)); // mmrace ui <scenario.yaml>

/** check --json leaves out each step's state snapshot (ten times the size of the rest); the
 * trace from `explain --format json` keeps them, and `mmrace ui` replays what it shows. */
function withoutStates(key: string, value: unknown): unknown {
  return key === 'state' ? undefined : value;
}

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}
function nonNegativeInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('expected a whole number from 0 to 4294967295');
  return n;
}
function positiveSeconds(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number of seconds');
  return n;
}
/** A target: a catalog id or a file name, not an empty (or blank) argument. */
function nonBlank(v: string): string {
  if (!v.trim()) throw new InvalidArgumentError('expected a catalog id or a file name, not an empty argument');
  return v;
}
function patchList(v: string, prev: string[] = []): string[] {
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('expected +name or -name, comma-separated');
  return [...prev, ...items];
}

function exitCode(r: CheckResult): number {
  return r.verdict === 'verified' ? 0 : r.verdict === 'violated' ? 1 : 2;
}

interface BudgetOpts {
  maxExecutions?: number;
  timeLimit?: number;
}
interface SearchOpts extends BudgetOpts {
  arch?: string;
  kernel?: string;
  patch?: string[];
  strategy: 'dfs' | 'random' | 'pct';
  seed?: number;
  depth?: number;
  minimize: boolean;
  progress?: boolean;
  json?: boolean;
  jobs: number;
  reduction: 'dpor' | 'optimal';
}

function checkOptions(o: BudgetOpts): CheckOptions {
  return { maxExecutions: o.maxExecutions, timeLimitMs: o.timeLimit === undefined ? undefined : o.timeLimit * 1000 };
}

function searchOptions(o: SearchOpts): Omit<CheckOptions, 'shouldStop' | 'onProgress'> {
  if (o.strategy === 'dfs' && o.seed !== undefined) throw new UsageError('--seed applies to --strategy random or pct (dfs is exhaustive and deterministic)');
  if (o.strategy !== 'pct' && o.depth !== undefined) throw new UsageError('--depth applies to --strategy pct');
  return { ...checkOptions(o), strategy: o.strategy, reduction: o.strategy === 'dfs' ? o.reduction : undefined, seed: o.strategy === 'dfs' ? undefined : (o.seed ?? 1), depth: o.depth, noMinimize: !o.minimize };
}

/** The options check and explain share. */
function searchFlags(c: Command): Command {
  return c
    .option('--arch <profile>', `arch profile (${Object.keys(ARCHES).join(', ')})`)
    .option('--kernel <profile>', `kernel profile: a release like v6.1 (the catalog uses ${KERNELS.join(', ')})`)
    .option('--patch <changes>', 'patch changes after the scenario\'s own: +name adds, -name reverts, comma-separated (see list --patches)', patchList)
    .addOption(new Option('--strategy <strategy>', 'dfs: exhaustive DPOR; random: uniform random walk; pct: PCT priorities').choices(['dfs', 'random', 'pct']).default('dfs'))
    .option('--seed <n>', 'seed for random and pct (default 1): same seed, same output', nonNegativeInt)
    .option('--depth <d>', 'PCT bug depth: d-1 priority change points (default 3)', positiveInt)
    .option('--max-executions <n>', 'stop after this many executions (verdict unknown; random/pct default 1000)', positiveInt)
    .option('--time-limit <seconds>', 'stop after this long (verdict unknown)', positiveSeconds)
    .option('--no-minimize', 'report the first counterexample found, unminimized')
    .option('--progress', 'show the progress bar even without a TTY')
    .option('--no-progress', 'never show the progress bar')
    .addOption(new Option('--reduction <reduction>', 'dfs: optimal (wakeup trees: one execution per trace; default) or dpor (source sets, sleep sets)').choices(['dpor', 'optimal']).default('optimal'))
    .option('--jobs <n>', 'worker threads sharing the search (the result does not depend on it)', positiveInt, 1)
    .option('--json', 'machine-readable output (no progress bar)');
}

function jobFor(target: string, o: SearchOpts): { job: Job; scenario: Scenario } {
  return resolveTarget(target, { arch: o.arch, kernel: o.kernel, patches: o.patch });
}

function configLine(s: { config: unknown }): string {
  const c = s.config as { arch: string; kernel: string; patches: string[] };
  return `${c.arch}, kernel ${c.kernel}${c.patches.length ? ' ' + c.patches.join(' ') : ''}`;
}

/** The --arch/--kernel/--patch flags given, as typed ('--kernel v6.1'), or undefined. */
function overridesGiven(o: { arch?: string; kernel?: string; patch?: string[] }): string | undefined {
  const flags = [o.arch && `--arch ${o.arch}`, o.kernel && `--kernel ${o.kernel}`, o.patch?.length && `--patch ${o.patch.join(',')}`].filter(Boolean);
  return flags.length ? flags.join(' ') : undefined;
}

/** `overrides`: the flags that changed the scenario's configuration; its expectation is for
 * the configuration without them, and is said to be. */
function summary(r: CheckResult, s: Scenario, overrides?: string): string {
  const how = r.strategy && r.strategy !== 'dfs' ? `${r.strategy}, seed ${r.seed}` : 'dfs';
  const expected = overrides ? `expected: ${r.expect} for its own configuration (not with ${overrides})` : `expected: ${r.expect}`;
  const lines = [`${r.id}: ${r.verdict}${r.property ? ` (${r.property})` : ''}   ${expected}`];
  lines.push(`  ${configLine(s)}; strategy ${how}`);
  const pruned = r.strategy && r.strategy !== 'dfs' ? '' : ` (${r.sleepBlocked} pruned by sleep sets)`;
  lines.push(`  ${r.executions} executions${pruned} in ${(r.ms / 1000).toFixed(2)} s`);
  if (r.interrupted) lines.push('  interrupted (Ctrl-C): the search was not finished; the counts above are what it covered');
  else if (r.budget && r.strategy && r.strategy !== 'dfs') lines.push(`  sampled (${r.budget}): a sample proves nothing, so no 'verified'`);
  else if (r.budget) lines.push(`  budget reached: ${r.budget}; the search was not exhaustive`);
  if (r.cutAtBound) lines.push(`  ${r.cutAtBound} executions cut at a retry-loop bound`);
  if (r.verdict === 'verified' || r.verdict === 'vacuous') lines.push('  exhaustive: every interleaving (up to trace equivalence) checked');
  if (r.verdict === 'verified') lines.push(`  covered: ${r.coverage.bothOrders} of ${r.coverage.pairs} pairs of conflicting accesses from different CPUs run in both orders`);
  if (r.verdict === 'vacuous')
    lines.push(`  vacuous: no pair of conflicting accesses from different CPUs was run in both orders (${r.coverage.pairs} seen in one order only): no race was explored, so nothing is proven`);
  if (r.trace) {
    const pre = r.trace.preemptions >= 0 ? preemptionCount(r.trace.preemptions) : 'not minimized';
    lines.push(`  counterexample: ${r.trace.steps.length} steps, ${pre}${r.interrupted ? ' (the best found before the interrupt)' : ''}`);
    if (r.trace.preemptions === 0)
      lines.push('  needs no preemption: the CPUs run one after another (switching only where one blocks) break the oracle; that is a sequential bug or a scenario error rather than a race');
  }
  for (const o of r.observations) lines.push(`  observed: ${o.kind}: ${o.message}`);
  return lines.join('\n');
}

/** A counterexample in one of the formats, under what was checked: the question, and the
 * table's header (the id, its configuration, the preemptions and steps). The commit format
 * rebuilds the scenario to find the races that decide the violation. */
function render(cx: Counterexample, format: string, s: Scenario, full?: boolean): string {
  if (format === 'json') return JSON.stringify(cx, null, 2);
  const title = `${s.id} (${configLine(s)})`;
  if (format === 'commit') return commitMessage(cx, { width: 72, title, world: () => s.build(s.config) });
  const counted = `${title}: ${cx.preemptions >= 0 ? preemptionCount(cx.preemptions) : 'not minimized (preemptions not counted)'}, ${cx.steps.length} steps`;
  if (format === 'markdown') return `> ${s.question}\n\n**${counted}**\n\n${markdownTable(cx, { full })}`;
  return `${s.question}\n\n${counted}\n${renderTable(cx, { width: 120, full })}`;
}

const FORMATS = ['table', 'commit', 'markdown', 'json'];

/** Where the command writes: the process's streams for the bin, anything with write() in tests. */
export interface CliIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

function buildProgram(io: CliIo, state: { code: number }): Command {
  const say = (text: string) => void io.stdout.write(text + '\n');
  const program = new Command();
  program
    .name('mmrace')
    .description('Model checker for Linux mm lockless page-table walker races')
    .exitOverride()
    .configureOutput({
      writeOut: (str) => void io.stdout.write(str),
      // commander writes here only the usage it shows for a missing command ('mmrace', 'mmrace
      // help nope'): on stdout, so that stderr keeps its one line 'mmrace: ...' (main adds it)
      writeErr: (str) => void io.stdout.write(str),
      // one line: commander's '(Did you mean --x?)' goes on the same line
      outputError: (str) =>
        void io.stderr.write(`${str.replace(/^error: /, 'mmrace: ').trimEnd().replace(/\n\(Did you mean (.*)\?\)$/, ' (did you mean $1?)').replace(/\n/g, ' ')}\n`),
    });

  program
    .command('list')
    .description('list the built-in catalog (or the registry: paths, layouts, arches, patches)')
    .option('--json', 'machine-readable output')
    .option('--paths', 'the layouts, setups and paths a scenario file can use, with their arguments')
    .option('--patches', 'the patch toggles and kernel profiles')
    .option('--arches', 'the arch profiles (with --paths and --patches: each in turn)')
    .action((o: ListOptions) => say(listing(o)));

  searchFlags(
    program
      .command('check')
      .description('explore a scenario (catalog id or scenario.yaml), or the whole catalog, and give its verdict')
      .argument('[target]', 'catalog id (see list) or a scenario file (.yaml)', nonBlank)
      .option('--all', 'check every catalog row')
      .option('--save-trace <file>', 'write the counterexample (if any) as a trace file for replay/explain')
      .option('--shard <i/N>', 'run only shard i of N of the exhaustive search and print it as JSON, for mmrace merge', parseShard),
  ).action(async (target: string | undefined, o: SearchOpts & { all?: boolean; saveTrace?: string; shard?: [number, number] }) => {
    const opts = searchOptions(o);
    if (o.shard) {
      if (o.all || !target) throw new UsageError('--shard takes one target (a catalog id or scenario file), not --all');
      if (o.strategy !== 'dfs') throw new UsageError('--shard splits the exhaustive search: use it with --strategy dfs');
      if (o.saveTrace) throw new UsageError('--save-trace applies to the merged result: mmrace merge --save-trace');
      const { job } = jobFor(target, o);
      const shard = await runShard(job, { check: opts, progress: o.progress, json: true, jobs: o.jobs, shard: o.shard, stream: io.stderr });
      const [i, n] = o.shard;
      if (n > shard.items)
        io.stderr.write(`mmrace: warning: --shard ${i}/${n}: the search splits into ${shard.items} work items, fewer than ${n} shards: shards ${shard.items + 1} to ${n} have nothing to run${i > shard.items ? ' (this one included)' : ''}\n`);
      say(JSON.stringify(shardFile(job, opts, o.shard, shard)));
      state.code = shard.budget === 'interrupted' ? 2 : 0;
      return;
    }
    if (o.all) {
      if (target) throw new UsageError('give a target or --all, not both');
      if (o.saveTrace) throw new UsageError('--save-trace takes one target, not --all');
      const jobs = CATALOG.map((s) => resolveTarget(s.id, { arch: o.arch, kernel: o.kernel, patches: o.patch }));
      const out = await runJobs(jobs.map((j) => j.job), { check: opts, progress: o.progress, json: o.json, jobs: o.jobs, stream: io.stderr });
      const results = out.results.map((x) => x.result);
      const overrides = overridesGiven(o);
      if (o.json) say(JSON.stringify(results, withoutStates, 2));
      else say(verdictTable(results, new Map(CATALOG.map((s) => [s.id, s.question])), overrides));
      if (out.interrupted) {
        if (!o.json) say(`interrupted: ${results.filter((r) => rowOutcome(r) !== 'interrupted').length} of ${jobs.length} rows checked`);
        state.code = 2;
        return;
      }
      // with overrides nothing is compared: the verdicts speak, as for one check
      if (overrides) state.code = results.some((r) => r.verdict === 'violated') ? 1 : results.some((r) => r.verdict === 'unknown') ? 2 : 0;
      else state.code = results.every((r) => rowOutcome(r) === 'as expected') ? 0 : 1;
      return;
    }
    if (!target) throw new UsageError('check needs a catalog id, a scenario file, or --all');
    const { job, scenario } = jobFor(target, o);
    const out = await runJobs([job], { check: opts, progress: o.progress, json: o.json, jobs: o.jobs, stream: io.stderr });
    printCheck(out.results[0], scenario, target, o, out.interrupted);
  });

  /** A single check's result, as check and merge print it. */
  function printCheck(
    one: { result: CheckResult; trace: TraceFile | null } | undefined,
    scenario: Scenario,
    target: string,
    o: { json?: boolean; saveTrace?: string; arch?: string; kernel?: string; patch?: string[] },
    interrupted: boolean,
  ): void {
    if (!one) {
      say(`${scenario.id}: interrupted before any result`);
      state.code = 2;
      return;
    }
    const r = one.result;
    // A profile outside its kernel range is a what-if, not kernel history: said on stderr and in the JSON
    const warning = kernelRangeWarning(archByName(scenario.config.arch), scenario.config.kernel);
    if (warning) io.stderr.write(`mmrace: warning: ${warning}\n`);
    if (o.saveTrace && one.trace) writeFileSync(o.saveTrace, JSON.stringify(one.trace, withoutStates, 2) + '\n');
    if (o.json) say(JSON.stringify({ ...r, ...(warning ? { warnings: [warning] } : {}), trace: one.trace }, withoutStates, 2));
    else {
      say(summary(r, scenario, overridesGiven(o)));
      if (one.trace) {
        if (interrupted) say('\n' + render(one.trace, 'table', scenario));
        else if (o.saveTrace) say(`  trace written to ${o.saveTrace} (mmrace replay ${o.saveTrace})`);
        else say(`  mmrace explain ${target}${o.arch ? ` --arch ${o.arch}` : ''}${o.kernel ? ` --kernel ${o.kernel}` : ''}${o.patch?.length ? ` --patch ${o.patch.join(',')}` : ''} prints it`);
      }
    }
    state.code = exitCode(r);
  }

  program
    .command('merge')
    .description('combine the JSON of every shard of one search (check --shard i/N) into its verdict, as one run would give it')
    .argument('<shards...>', 'the shard files, one per shard (any order)')
    .option('--save-trace <file>', 'write the counterexample (if any) as a trace file for replay/explain')
    .option('--json', 'machine-readable output')
    .action((files: string[], o: { json?: boolean; saveTrace?: string }) => {
      const m = mergeShards(files);
      const target = 'catalog' in m.job.origin ? m.job.origin.catalog : m.job.origin.file;
      printCheck(m, m.scenario, target, { ...o, arch: m.job.overrides.arch, kernel: m.job.overrides.kernel, patch: m.job.overrides.patches }, false);
    });

  searchFlags(
    program
      .command('explain')
      .description('print the counterexample as a CPU A / CPU B table (a catalog id or scenario file is checked first)')
      .argument('<target>', 'catalog id, scenario file (.yaml) or trace file (.json)', nonBlank)
      .option('--format <format>', 'table | commit (72 columns, for a commit message) | markdown | json', 'table')
      .option('--full', 'show every step, not only the racing ones'),
  ).action(async (target: string, o: SearchOpts & { format: string; full?: boolean }) => {
    if (!FORMATS.includes(o.format)) throw new UsageError(`--format must be table, commit, markdown or json, not '${o.format}'`);
    if (o.json) o.format = 'json'; // --json everywhere: for explain it is the trace
    if (/\.json$/i.test(target)) {
      const t = readTrace(target);
      const { scenario } = traceJob(t);
      say(render(t, o.format, scenario, o.full));
      state.code = 1;
      return;
    }
    const opts = searchOptions(o);
    const { job, scenario } = jobFor(target, o);
    const out = await runJobs([job], { check: opts, progress: o.progress, json: o.json || o.format === 'json', jobs: o.jobs, stream: io.stderr });
    const one = out.results[0];
    if (!one) {
      say(`${scenario.id}: interrupted before any result`);
      state.code = 2;
      return;
    }
    const r = one.result;
    if (!one.trace) {
      const msg = `${scenario.id}: ${r.verdict}: no counterexample to explain (${r.executions} executions explored${r.budget ? `; ${r.budget}` : ''})`;
      if (o.format === 'json') say(JSON.stringify({ id: scenario.id, verdict: r.verdict, executions: r.executions, trace: null }, null, 2));
      else say(msg);
      state.code = exitCode(r);
      return;
    }
    say(render(one.trace, o.format, scenario, o.full));
    state.code = exitCode(r);
  });

  program
    .command('replay')
    .description('re-run a trace file (check --save-trace, check --json, explain --format json) and confirm its violation')
    .argument('<trace>', 'trace file (.json)', nonBlank)
    .option('--format <format>', 'table | commit | markdown | json', 'table')
    .option('--full', 'show every step')
    .option('--json', 'machine-readable output')
    .action((file: string, o: { format: string; full?: boolean; json?: boolean }) => {
      if (!FORMATS.includes(o.format)) throw new UsageError(`--format must be table, commit, markdown or json, not '${o.format}'`);
      const t: TraceFile = readTrace(file);
      const { scenario } = traceJob(t);
      let exec, world;
      try {
        world = scenario.build(scenario.config);
        exec = replay(world, t.schedule);
      } catch (err) {
        const message = (err as Error).message;
        if (o.json) say(JSON.stringify({ id: t.id, replayed: false, error: message }, null, 2));
        else say(`${t.id}: the trace does not replay on this model: ${message}`);
        state.code = 2;
        return;
      }
      const same = exec.violation?.property === t.violation.property && exec.violation?.message === t.violation.message;
      const cx: Counterexample = { id: t.id, config: t.config, schedule: t.schedule, preemptions: t.preemptions, violation: exec.violation ?? t.violation, steps: exec.trace, roles: rolesOf(world) };
      if (o.json || o.format === 'json')
        say(JSON.stringify({ id: t.id, replayed: true, reproduced: same, violation: exec.violation, steps: exec.trace.length, trace: o.format === 'json' ? cx : undefined }, null, 2));
      else if (same) {
        say(`${t.id}: replayed ${t.schedule.length} steps: ${t.violation.property} reproduced\n`);
        say(render(cx, o.format, scenario, o.full));
      } else
        say(
          `${t.id}: replayed ${t.schedule.length} steps but got ${exec.violation ? `${exec.violation.property}: ${exec.violation.message}` : 'no violation'}; the trace recorded ${t.violation.property}: ${t.violation.message}`,
        );
      state.code = same ? 1 : 2;
    });

  function port(v: string): number {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number (0 picks a free one)');
    return n;
  }

  /** Refuses a port something already listens on (UsageError); the server binds it for real
   * later, so a port taken in between still fails there. */
  function portFree(port: number): Promise<void> {
    return new Promise((ok, fail) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) =>
        fail(new UsageError(`ui: port ${port} on ${HOST} is ${err.code === 'EADDRINUSE' ? 'in use' : `not available (${err.code})`}: pick another with --port, or --port 0 for any free one`)),
      );
      probe.listen(port, HOST, () => probe.close(() => ok()));
    });
  }

  program
    .command('ui')
    .description('serve the trace viewer on 127.0.0.1: a catalog id (checked first), a trace file (.json) or a scenario file (.yaml)')
    .argument('<target>', 'catalog id, trace.json (explain --format json, check --json) or scenario.yaml', nonBlank)
    .option('--port <n>', 'port to listen on (0: any free port)', port, 0)
    .option('--max-executions <n>', 'stop after this many executions (verdict unknown)', positiveInt)
    .option('--time-limit <seconds>', 'stop after this long (verdict unknown)', positiveSeconds)
    .option('--json', 'print the traces the viewer would show (steps and per-step state) instead of serving them')
    .action(async (target: string, o: { port: number; maxExecutions?: number; timeLimit?: number; json?: boolean }) => {
      if (!o.json && o.port !== 0) await portFree(o.port); // before a check that may take minutes
      let bundle;
      try {
        bundle = bundleFor(target, checkOptions(o));
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new UsageError((err as Error).message);
      }
      if (o.json) {
        say(JSON.stringify(bundle));
        return;
      }
      serveUi(bundle, { port: o.port }).then(
        (s) => {
          const t = bundle.traces[0];
          say(`${bundle.id}: ${bundle.verdict ?? bundle.origin}; ${t.label}, ${t.steps.length} steps`);
          say(`mmrace ui: serving on ${s.url}  (Ctrl-C to stop)`);
        },
        (err: Error) => {
          io.stderr.write(`mmrace ui: ${err.message}\n`);
          process.exit(3); // the server failed to start after the command returned (the bin only)
        },
      );
    });

  program
    .command('litmus')
    .description('run C litmus tests (the herd7 format of tools/memory-model) and print herd7\'s report for each')
    .argument('<paths...>', 'litmus files, or directories (every *.litmus below them, sorted)')
    .addOption(new Option('--model <model>', 'lkmm: every execution LKMM allows (herd7\'s method); sc: every interleaving, through the explorer').choices(['lkmm', 'sc']).default('lkmm'))
    .option('--json', 'machine-readable output: an array, one object per file')
    .action((paths: string[], o: { model: 'lkmm' | 'sc'; json?: boolean }) => {
      state.code = litmusCommand(paths, o, say, (text) => void io.stderr.write(text + '\n'));
    });

  return program;
}

/**
 * Run the command line `argv` (without node and the script) and give the exit code: 0, 1, 2 as
 * for the verdicts, 3 for bad input or usage (one line 'mmrace: ...' on stderr), 4 for a bug in
 * mmrace (with its stack trace). The bin calls it with the process's streams; tests call it
 * in-process with their own.
 */
export async function main(argv: string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const state = { code: 0 };
  const program = buildProgram(io, state);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return state.code;
  } catch (err: unknown) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return 0;
      // the usage went to stdout; say what was wrong in one line
      if (err.code === 'commander.help') io.stderr.write(`mmrace: expected a command: ${program.commands.map((c) => c.name()).join(', ')} (the usage is above)\n`);
      return 3;
    }
    if (err instanceof UsageError || err instanceof InputError) {
      io.stderr.write(`mmrace: ${err.message}\n`);
      return 3;
    }
    if (err instanceof SoloViolation) {
      io.stderr.write(`mmrace: ${err.message}\n\n${renderTable(err.trace, { width: 120 })}\n`);
      return 3;
    }
    // a bug in mmrace, not bad input: the stack trace is for its developers
    io.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 4;
  }
}

/** True when this module is the script node was started with (the bin, through its symlink). */
function isBin(): boolean {
  if (!process.argv[1]) return false;
  try {
    return pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isBin()) {
  // `mmrace list | head`: a closed pipe is not an error (console.log, used before, ignored it too)
  for (const s of [process.stdout, process.stderr])
    s.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
    });
  main(process.argv.slice(2)).then((code) => {
    if (code >= 3) process.exit(code); // as before: bad input ends the process at once
    process.exitCode = code; // otherwise let stdout drain (and `mmrace ui` keep serving)
  });
}
