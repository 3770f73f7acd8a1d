/**
 * Running checks from the CLI on a pool of --jobs worker threads (worker.ts), with a progress
 * bar on stderr for runs longer than a second (off under --json or without a TTY, unless
 * --progress), and Ctrl-C: the first stops the search between executions and reports what it
 * covered and the best counterexample so far; a second one exits at once (130).
 *
 * An exhaustive check is split into work items (src/explore/partition.ts) that the workers
 * take in index order; the results are combined in index order, so the verdict, the counts and
 * the counterexample do not depend on the number of workers. With --shard i/N only the items
 * i-1, i-1+N, ... are run and their raw results returned, for `mmrace merge`.
 */
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { CheckResult } from '../explore/check.js';
import type { ExploreResult } from '../explore/dpor.js';
import { combine } from '../explore/partition.js';
import { InputError } from '../scenarios/file.js';
import { soloCheck } from '../explore/solo.js';
import { NotModeled } from '../machine/effects.js';
import { type Job, type TraceFile, scenarioOf } from './scenarios.js';
import { EXECUTIONS, type Options, SHARED_WORDS, STOP_AT, type WorkerMessage, type WorkerRequest } from './protocol.js';

export interface RunOptions {
  check: Options;
  /** true: always; false: never; undefined: on a TTY, not under --json */
  progress?: boolean;
  json?: boolean;
  /** worker threads (default 1) */
  jobs?: number;
  /** [i, N], 1-based: run only this shard's items and return them raw (ShardResult) */
  shard?: [number, number];
  /** where the bar and the interrupt notice go (default: process.stderr) */
  stream?: NodeJS.WritableStream;
}

export interface RunOutcome {
  results: Array<{ result: CheckResult; trace: TraceFile | null }>;
  interrupted: boolean;
}

/** One shard's items of one job's search: what `mmrace merge` combines. */
export interface ShardResult {
  items: number;
  sleepBlocked: number;
  results: Array<{ item: number; result: ExploreResult }>;
  budget: string | null;
}

export class WorkerFailure extends Error {}

/** The bar shows on runs longer than this (MMRACE_PROGRESS_DELAY_MS overrides it, for tests). */
const PROGRESS_DELAY_MS = Number(process.env.MMRACE_PROGRESS_DELAY_MS ?? 1000);

/** The worker threads and the one conversation they are in at a time. */
class Pool {
  readonly workers: Worker[];
  private onMessage: (m: WorkerMessage) => void = () => {};
  private onError: (e: Error) => void = () => {};

  constructor(n: number, flag: SharedArrayBuffer) {
    this.workers = Array.from({ length: n }, () => new Worker(new URL('./worker.js', import.meta.url), { workerData: { flag } }));
    for (const w of this.workers) {
      w.on('message', (m: WorkerMessage) => {
        if (m.type === 'error') {
          if (m.input) return this.onError(new InputError(m.message)); // a message for the user, no stack
          const e = new WorkerFailure(m.message);
          e.stack = m.stack;
          this.onError(e);
        } else this.onMessage(m);
      });
      w.on('error', (e) => this.onError(e));
    }
  }

  /** Send requests and handle replies until `handle` returns a value. */
  talk<T>(requests: Array<[number, WorkerRequest]>, handle: (m: WorkerMessage) => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.onError = reject;
      this.onMessage = (m) => {
        try {
          const out = handle(m);
          if (out !== undefined) resolve(out);
        } catch (e) {
          reject(e);
        }
      };
      for (const [i, r] of requests) this.workers[i].postMessage(r);
    });
  }

  close(): Promise<unknown> {
    return Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * The bar of one run: per row (check --all numbers them, [3/56]) its name, the executions its
 * search explored at that row's own rate, and then, apart from them, the runs of the
 * counterexample's minimization at theirs.
 */
export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private readonly t0: number;
  private row = { label: '', t0: 0, explored: 0, rate: 0, minimizeT0: 0 };

  constructor(
    private readonly show: boolean,
    private readonly total: number,
    private readonly stream: NodeJS.WritableStream,
    private readonly rows = 1,
    private readonly now: () => number = Date.now,
  ) {
    this.t0 = this.row.t0 = now();
  }

  /** A new row (0-based index) starts: its own counts and rate. */
  startRow(index: number): void {
    this.stop();
    this.row = { label: this.rows > 1 ? `[${index + 1}/${this.rows}] ` : '', t0: this.now(), explored: 0, rate: 0, minimizeT0: 0 };
  }

  update(m: Extract<WorkerMessage, { type: 'progress' }>): void {
    const now = this.now();
    if (!this.show || now - this.t0 < PROGRESS_DELAY_MS) return;
    const r = this.row;
    const secs = (from: number) => Math.max(now - from, 1) / 1000;
    let minimizing = '';
    if (m.phase === 'explore') {
      r.explored = m.executions;
      r.rate = Math.round(m.executions / secs(r.t0));
    } else {
      r.minimizeT0 ||= now;
      minimizing = ` | minimizing: ${m.executions} runs, ${Math.round(m.executions / secs(r.minimizeT0))}/s`;
    }
    const payload = { row: r.label, id: m.id, rate: r.rate, elapsed: secs(r.t0).toFixed(1), minimizing };
    if (this.bar) return void this.bar.update(r.explored, payload);
    this.bar = new cliProgress.SingleBar(
      {
        format: this.total
          ? '{row}{id} {bar} {value}/{total} executions | {rate}/s | {elapsed} s{minimizing}'
          : '{row}{id} {value} executions | {rate}/s | {elapsed} s{minimizing}',
        stream: this.stream as NodeJS.WriteStream,
        noTTYOutput: true,
        notTTYSchedule: 500,
        hideCursor: false,
        clearOnComplete: true,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    this.bar.start(this.total, r.explored, payload);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = null;
  }
}

interface Items {
  items: number;
  sleepBlocked: number;
  results: Array<ExploreResult | undefined>;
  /** why items were left unrun, if they were */
  budget?: string;
}

/** All workers take items of one job until none is left. */
async function runItems(pool: Pool, job: Job, o: RunOptions, stop: Int32Array, bar: Progress): Promise<Items> {
  const shared = new SharedArrayBuffer(4 * SHARED_WORDS);
  const w = new Int32Array(shared);
  Atomics.store(w, STOP_AT, 0x7fffffff);
  const t0 = Date.now();
  const deadline = o.check.timeLimitMs === undefined ? undefined : t0 + o.check.timeLimitMs;
  const shard = o.shard ? ([o.shard[0] - 1, o.shard[1]] as [number, number]) : undefined;
  const out: Items = { items: 0, sleepBlocked: 0, results: [] };
  let done = 0;
  await pool.talk(
    pool.workers.map((_, i) => [i, { type: 'items', job, options: o.check, shared, deadline, shard }]),
    (m) => {
      if (m.type === 'partition') {
        out.items = m.items;
        out.sleepBlocked = m.sleepBlocked;
        out.results.length = m.items;
      } else if (m.type === 'item') out.results[m.item] = m.result;
      else if (m.type === 'progress') bar.update(m);
      else if (m.type === 'items-done' && ++done === pool.workers.length) return true;
      return undefined;
    },
  );
  const max = o.check.maxExecutions;
  if (Atomics.load(stop, 0)) out.budget = 'interrupted';
  else if (max !== undefined && Atomics.load(w, EXECUTIONS) >= max) out.budget = `max executions ${max}`;
  else if (deadline !== undefined && Date.now() >= deadline) out.budget = `time limit ${o.check.timeLimitMs} ms`;
  return out;
}

/** The combined search of a job's items, as one exploration would have reported it. */
export function combined(x: Pick<Items, 'sleepBlocked' | 'results' | 'budget'>): ExploreResult {
  const r = combine(x, x.results);
  if (r.verdict === 'unknown' && x.budget) r.budget = x.budget;
  return r;
}

async function runJob(pool: Pool, index: number, job: Job, o: RunOptions, stop: Int32Array, bar: Progress) {
  const t0 = Date.now();
  preflight(job);
  const result = (m: WorkerMessage) => (m.type === 'progress' ? void bar.update(m) : m.type === 'result' ? m : undefined);
  if ((o.check.strategy ?? 'dfs') !== 'dfs') return pool.talk([[0, { type: 'check', index, job, options: o.check }]], result);
  const items = await runItems(pool, job, o, stop, bar);
  const explore = combined(items);
  return pool.talk([[0, { type: 'report', index, job, options: o.check, explore, t0 }]], result);
}

function progress(opts: RunOptions, rows = 1): Progress {
  const stream = opts.stream ?? process.stderr;
  const show = opts.progress ?? (!opts.json && (stream as { isTTY?: boolean }).isTTY === true);
  return new Progress(show, opts.check.maxExecutions ?? 0, stream, rows);
}

export async function runJobs(jobs: Job[], opts: RunOptions): Promise<RunOutcome> {
  const flag = new SharedArrayBuffer(4);
  const stop = new Int32Array(flag);
  const pool = new Pool(opts.jobs ?? 1, flag);
  const bar = progress(opts, jobs.length);
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    Atomics.store(stop, 0, 1);
    bar.stop();
    (opts.stream ?? process.stderr).write('\nmmrace: interrupted; stopping after the current execution (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const results: RunOutcome['results'] = [];
  try {
    for (const [i, job] of jobs.entries()) {
      if (interrupted) break;
      bar.startRow(i);
      const m = await runJob(pool, i, job, opts, stop, bar);
      bar.stop();
      results.push({ result: m.result, trace: m.trace });
    }
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    await pool.close();
  }
  return { results, interrupted };
}

/** Each CPU's program alone must break nothing (solo.ts), checked here in the main thread
 * before any worker searches: the search of a bad scenario would report a race it needs not. */
function preflight(job: Job): void {
  const s = scenarioOf(job);
  try {
    soloCheck(s.id, s.config, () => s.build(s.config));
  } catch (err) {
    if (err instanceof NotModeled) throw new InputError(`${s.id}: ${err.message}`); // as the workers report it
    throw err;
  }
}

/** One shard of one job's exhaustive search (--shard i/N), raw, for `mmrace merge`. */
export async function runShard(job: Job, opts: RunOptions): Promise<ShardResult> {
  preflight(job);
  const flag = new SharedArrayBuffer(4);
  const stop = new Int32Array(flag);
  const pool = new Pool(opts.jobs ?? 1, flag);
  const bar = progress(opts);
  const onSigint = () => Atomics.store(stop, 0, 1);
  process.on('SIGINT', onSigint);
  try {
    const x = await runItems(pool, job, opts, stop, bar);
    const results = x.results.flatMap((result, item) => (result ? [{ item, result }] : []));
    return { items: x.items, sleepBlocked: x.sleepBlocked, results, budget: x.budget ?? null };
  } finally {
    bar.stop();
    process.off('SIGINT', onSigint);
    await pool.close();
  }
}
