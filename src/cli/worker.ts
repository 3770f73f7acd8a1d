/**
 * The exploration runs on a worker thread so the main thread stays free for the progress bar
 * and Ctrl-C: the main thread sets a shared flag, which the search polls between executions.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type CheckOptions, check } from '../explore/check.js';
import { NotModeled } from '../machine/effects.js';
import { InputError } from '../scenarios/file.js';
import { type Job, scenarioOf, traceFile } from './scenarios.js';

export interface WorkerData {
  jobs: Job[];
  options: Omit<CheckOptions, 'shouldStop' | 'onProgress'>;
  flag: SharedArrayBuffer;
}

export type WorkerMessage =
  | { type: 'progress'; index: number; id: string; executions: number; phase: 'explore' | 'minimize' }
  | { type: 'result'; index: number; result: ReturnType<typeof check>; trace: ReturnType<typeof traceFile> }
  | { type: 'error'; message: string; stack?: string; /** bad input (a scenario outside the model), not a bug */ input?: boolean };

const data = workerData as WorkerData;
const flag = new Int32Array(data.flag);
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

try {
  for (const [index, job] of data.jobs.entries()) {
    if (Atomics.load(flag, 0)) break;
    const s = scenarioOf(job);
    let last = 0;
    const result = check(s, {
      ...data.options,
      shouldStop: () => Atomics.load(flag, 0) !== 0,
      onProgress: (executions, phase) => {
        const now = Date.now();
        if (now - last < 100) return;
        last = now;
        post({ type: 'progress', index, id: s.id, executions, phase });
      },
    });
    post({ type: 'result', index, result, trace: traceFile(result, job) });
  }
} catch (err) {
  post({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined, input: err instanceof NotModeled || err instanceof InputError });
}
