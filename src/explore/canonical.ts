/**
 * A canonical name for the Mazurkiewicz trace of an execution, for counting distinct traces
 * (bench, and the optimality tests): its lexicographically least linearization, the smallest
 * thread first among the steps whose dependent predecessors are done. Dependency is the
 * explorer's (footprints as the explorer sees them, a task's interrupt-context word included;
 * a spawned thread's steps after the step that spawned it). Threads are named by stable keys (a
 * spawned thread by its spawner's key, the spawner's step count and its rank), since the ids of
 * spawned threads follow the order of spawns, which equivalent executions need not share.
 */
import type { Footprint } from '../machine/machine.js';
import { dependent } from './dpor.js';
import { Execution, type World } from './runtime.js';

export function canonicalTrace(make: () => World, schedule: number[]): string {
  const exec = new Execution(make(), false);
  const keys = exec.threads.map((t) => `${t.id}`);
  const steps: Array<{ key: string; fp: Footprint; spawner: number }> = [];
  const spawnedAt: number[] = exec.threads.map(() => -1);
  for (const tid of schedule) {
    const t = exec.threads[tid];
    if (!t || !exec.isEnabled(t)) throw new Error(`schedule does not replay: thread ${tid} is not enabled at step ${exec.stepCount}`);
    const fp = exec.footprint(tid);
    const before = exec.threads.length;
    exec.step(tid);
    for (let n = before; n < exec.threads.length; n++) {
      keys[n] = `${keys[tid]}/${t.steps}.${n - before}`;
      spawnedAt[n] = steps.length;
    }
    steps.push({ key: keys[tid], fp, spawner: spawnedAt[tid] });
    spawnedAt[tid] = -1; // only a thread's first step hangs on its spawn (the rest follow it)
  }
  const n = steps.length;
  const preds: number[][] = steps.map(() => []);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const a = steps[i];
      const b = steps[j];
      if (a.key === b.key || a.spawner === j || dependent(a.fp, b.fp)) preds[i].push(j);
    }
  const done = new Array<boolean>(n).fill(false);
  const out: string[] = [];
  for (let k = 0; k < n; k++) {
    let best = -1;
    for (let i = 0; i < n; i++) {
      if (done[i] || !preds[i].every((j) => done[j])) continue;
      if (best < 0 || steps[i].key < steps[best].key) best = i;
    }
    done[best] = true;
    out.push(steps[best].key);
  }
  return out.join(',');
}
