/**
 * Running checks from the CLI: on a worker thread, with a progress bar on stderr for runs
 * longer than a second (off under --json or without a TTY, unless --progress), and Ctrl-C:
 * the first stops the search between executions and reports what it covered and the best
 * counterexample so far; a second one exits at once (130).
 */
import { Worker } from 'node:worker_threads';
import cliProgress from 'cli-progress';
import type { CheckOptions, CheckResult } from '../explore/check.js';
import { InputError } from '../scenarios/file.js';
import type { Job, TraceFile } from './scenarios.js';
import type { WorkerData, WorkerMessage } from './worker.js';

export interface RunOptions {
  check: Omit<CheckOptions, 'shouldStop' | 'onProgress'>;
  /** true: always; false: never; undefined: on a TTY, not under --json */
  progress?: boolean;
  json?: boolean;
  /** where the bar and the interrupt notice go (default: process.stderr) */
  stream?: NodeJS.WritableStream;
}

export interface RunOutcome {
  results: Array<{ result: CheckResult; trace: TraceFile | null }>;
  interrupted: boolean;
}

export class WorkerFailure extends Error {}

/** The bar shows on runs longer than this (MMRACE_PROGRESS_DELAY_MS overrides it, for tests). */
const PROGRESS_DELAY_MS = Number(process.env.MMRACE_PROGRESS_DELAY_MS ?? 1000);

export function runJobs(jobs: Job[], opts: RunOptions): Promise<RunOutcome> {
  const flag = new SharedArrayBuffer(4);
  const stop = new Int32Array(flag);
  const data: WorkerData = { jobs, options: opts.check, flag };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: data });
  const stream = opts.stream ?? process.stderr;
  const showBar = opts.progress ?? (!opts.json && (stream as { isTTY?: boolean }).isTTY === true);
  const t0 = Date.now();
  let bar: cliProgress.SingleBar | null = null;
  const results: RunOutcome['results'] = [];
  let interrupted = false;
  const onSigint = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    Atomics.store(stop, 0, 1);
    bar?.stop();
    bar = null;
    stream.write('\nmmrace: interrupted; stopping after the current execution (Ctrl-C again to quit at once)\n');
  };
  process.on('SIGINT', onSigint);
  const total = opts.check.maxExecutions ?? 0;
  return new Promise((resolve, reject) => {
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') {
        const elapsed = (Date.now() - t0) / 1000;
        if (!showBar || interrupted || elapsed * 1000 < PROGRESS_DELAY_MS) return;
        const payload = {
          id: m.id,
          phase: m.phase === 'minimize' ? 'minimizing the counterexample' : 'exploring',
          rate: Math.round(m.executions / Math.max(elapsed, 0.001)),
          elapsed: elapsed.toFixed(1),
        };
        if (!bar) {
          bar = new cliProgress.SingleBar(
            {
              format: total
                ? '{id} {bar} {value}/{total} executions | {rate}/s | {elapsed} s | {phase}'
                : '{id} {value} executions | {rate}/s | {elapsed} s | {phase}',
              stream: stream as NodeJS.WriteStream,
              noTTYOutput: true,
              notTTYSchedule: 500,
              hideCursor: false,
              clearOnComplete: true,
              fps: 10,
            },
            cliProgress.Presets.shades_classic,
          );
          bar.start(total, m.executions, payload);
        } else bar.update(m.executions, payload);
      } else if (m.type === 'result') {
        bar?.stop();
        bar = null;
        results.push({ result: m.result, trace: m.trace });
      } else {
        bar?.stop();
        if (m.input) return reject(new InputError(m.message)); // a message for the user, no stack
        const e = new WorkerFailure(m.message);
        e.stack = m.stack;
        reject(e);
      }
    });
    worker.on('error', (err) => {
      bar?.stop();
      reject(err);
    });
    worker.on('exit', () => {
      bar?.stop();
      process.off('SIGINT', onSigint);
      resolve({ results, interrupted });
    });
  });
}
