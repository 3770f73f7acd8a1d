/**
 * A search worker (one of --jobs). The main thread (run.ts) stays free for the progress bar and
 * Ctrl-C, and hands out work by message:
 *
 *  - `items`: split the scenario's search (every worker computes the same partition), then take
 *    item indices from a shared counter, in order, until none is left or an earlier item is
 *    violated; post each item's result.
 *  - `report`: minimize and replay the combined result (check.ts `report`).
 *  - `check`: a whole sampled check (random, pct), which is not split.
 *
 * The messages and the shared words are in protocol.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { check, report } from '../explore/check.js';
import { exploreItem, partition } from '../explore/partition.js';

import { NotModeled } from '../machine/effects.js';
import { InputError } from '../scenarios/file.js';
import { EXECUTIONS, NEXT, STOP_AT, type WorkerMessage, type WorkerRequest } from './protocol.js';
import { scenarioOf, traceFile } from './scenarios.js';

const flag = new Int32Array((workerData as { flag: SharedArrayBuffer }).flag);
const interrupted = () => Atomics.load(flag, 0) !== 0;
const post = (m: WorkerMessage) => parentPort!.postMessage(m);

function throttled(id: string, phase: 'explore' | 'minimize'): (executions: number) => void {
  let last = 0;
  return (executions) => {
    const now = Date.now();
    if (now - last < 100) return;
    last = now;
    post({ type: 'progress', id, executions, phase });
  };
}

/** Take items until none is left; a shard takes only the indices i with i mod N = its own. */
function runItems(m: Extract<WorkerRequest, { type: 'items' }>): void {
  const s = scenarioOf(m.job);
  const make = () => s.build(s.config);
  const p = partition(make);
  post({ type: 'partition', items: p.items.length, sleepBlocked: p.sleepBlocked });
  const w = new Int32Array(m.shared);
  const [shard, shards] = m.shard ?? [0, 1];
  const max = m.options.maxExecutions;
  const progress = throttled(s.id, 'explore');
  for (;;) {
    const item = Atomics.add(w, NEXT, 1) * shards + shard;
    if (item >= p.items.length || item > Atomics.load(w, STOP_AT) || interrupted()) break;
    if (max !== undefined && Atomics.load(w, EXECUTIONS) >= max) break;
    if (m.deadline !== undefined && Date.now() >= m.deadline) break;
    let counted = 0;
    const result = exploreItem(make, p.items[item], {
      reduction: m.options.reduction ?? 'optimal',
      maxExecutions: max === undefined ? undefined : Math.max(1, max - Atomics.load(w, EXECUTIONS)),
      timeLimitMs: m.deadline === undefined ? undefined : Math.max(1, m.deadline - Date.now()),
      // stop when interrupted, over the shared budget, or an earlier item is violated
      shouldStop: () => interrupted() || item > Atomics.load(w, STOP_AT) || (max !== undefined && Atomics.load(w, EXECUTIONS) >= max),
      onProgress: (e, b) => {
        Atomics.add(w, EXECUTIONS, e + b - counted);
        counted = e + b;
        progress(Atomics.load(w, EXECUTIONS));
      },
    });
    Atomics.add(w, EXECUTIONS, result.executions + result.sleepBlocked - counted);
    if (result.found) lower(w, STOP_AT, item);
    post({ type: 'item', item, result });
  }
  post({ type: 'items-done' });
}

/** w[at] = min(w[at], v), atomically. */
function lower(w: Int32Array, at: number, v: number): void {
  for (let cur = Atomics.load(w, at); v < cur; cur = Atomics.load(w, at)) if (Atomics.compareExchange(w, at, cur, v) === cur) return;
}

function runReport(m: Extract<WorkerRequest, { type: 'report' }>): void {
  const s = scenarioOf(m.job);
  const result = report(s, m.explore, { ...m.options, shouldStop: interrupted, onProgress: throttled(s.id, 'minimize') }, m.t0);
  post({ type: 'result', index: m.index, result, trace: traceFile(result, m.job) });
}

function runCheck(m: Extract<WorkerRequest, { type: 'check' }>): void {
  const s = scenarioOf(m.job);
  const explore = throttled(s.id, 'explore');
  const minimize = throttled(s.id, 'minimize');
  const result = check(s, { ...m.options, shouldStop: interrupted, onProgress: (n, phase) => (phase === 'explore' ? explore : minimize)(n) });
  post({ type: 'result', index: m.index, result, trace: traceFile(result, m.job) });
}

parentPort!.on('message', (m: WorkerRequest) => {
  try {
    if (m.type === 'items') runItems(m);
    else if (m.type === 'report') runReport(m);
    else runCheck(m);
  } catch (err) {
    // a scenario reaching kernel code the model leaves out is bad input, not a bug in mmrace
    const input = err instanceof NotModeled || err instanceof InputError;
    if (err instanceof NotModeled && m.type === 'items') {
      const id = scenarioOf(m.job).id;
      if (!err.message.startsWith(`${id}: `)) err.message = `${id}: ${err.message}`;
    }
    post({ type: 'error', message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined, input });
  }
});
