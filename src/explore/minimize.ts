/**
 * Counterexample minimization: the fewest preemptions, then the fewest steps. Iterative context
 * bounding (Musuvathi & Qadeer): naive enumeration under preemption bound 0, 1, 2, ... until a
 * schedule violates the same property; among those found within the budget, the shortest. A
 * preemption is a switch away from a thread that could have gone on.
 */
import { type Found, explore } from './dpor.js';
import { Execution, type World } from './runtime.js';

export interface MinimizeOptions {
  /** executions per bound level */
  maxExecutions?: number;
  /** polled between executions: stop and keep the best schedule found so far */
  shouldStop?(): boolean;
  /** stop at this time (Date.now()), keeping the best schedule found so far */
  deadline?: number;
  /** executions run so far, across the bound levels */
  onProgress?(executions: number): void;
}

export function preemptions(makeWorld: () => World, schedule: number[]): number {
  const exec = new Execution(makeWorld(), false);
  let count = 0;
  let prev = -1;
  for (const t of schedule) {
    if (prev >= 0 && t !== prev && exec.enabled().includes(prev)) count++;
    exec.step(t);
    prev = t;
  }
  return count;
}

export function minimize(makeWorld: () => World, found: Found, opts: MinimizeOptions = {}): Found & { preemptions: number } {
  const original = preemptions(makeWorld, found.schedule);
  let total = 0;
  for (let bound = 0; bound <= original; bound++) {
    let best: Found | null = null;
    const timeLimitMs = opts.deadline === undefined ? undefined : opts.deadline - Date.now();
    if (timeLimitMs !== undefined && timeLimitMs <= 0) break;
    const r = explore(makeWorld, {
      reduction: 'none',
      preemptionBound: bound,
      stopAtViolation: false,
      maxExecutions: opts.maxExecutions ?? 20_000,
      timeLimitMs,
      shouldStop: opts.shouldStop,
      onProgress: opts.onProgress && (() => opts.onProgress!(++total)),
      onExecution: (exec, schedule) => {
        const v = exec.violation;
        if (v && v.property === found.violation.property && (!best || schedule.length < best.schedule.length))
          best = { violation: v, schedule };
      },
    });
    if (best) return { ...(best as Found), preemptions: bound };
    if (opts.shouldStop?.() || r.budget?.startsWith('time limit')) break;
  }
  return { ...found, preemptions: original };
}
