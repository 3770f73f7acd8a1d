/**
 * A violation that needs no race is not a race (DESIGN §4). Before a search, each CPU's program
 * runs alone from the initial state (the other CPUs idle: they still take the IPIs it sends,
 * and its RCU callbacks still run), every interleaving of it with the threads it spawns
 * explored. If it breaks an oracle with no other CPU running, the scenario or the model is
 * wrong: that is bad input, never a `violated` verdict.
 *
 * A deadlock of a program alone is not judged: waiting for another CPU (a lock it holds, an
 * event it posts) is what a program run alone may rightly do. A search cut by the budget below
 * judges what it covered.
 */
import { explore } from './dpor.js';
import type { Execution, ViolationInfo, World } from './runtime.js';
import { replay } from './runtime.js';
import type { Counterexample } from './trace.js';

/** Executions per program alone; a lone program with its handlers has few. */
const SOLO_BUDGET = 5_000;

export class SoloViolation extends Error {
  constructor(
    readonly program: string,
    readonly path: string,
    readonly violation: ViolationInfo,
    readonly trace: Counterexample,
  ) {
    super(
      `${trace.id}: ${program} (${path}) breaks ${violation.property} run alone, with no other CPU running: ${violation.message}. ` +
        'A violation that needs no race is a scenario or model error, not a race',
    );
  }
}

/** The world with only program `i`. */
function alone(make: () => World, i: number): () => World {
  return () => {
    const w = make();
    const keep = w.programs[i];
    w.programs.length = 0;
    w.programs.push(keep);
    return w;
  };
}

/** Throws SoloViolation for the first program that breaks an oracle on its own. */
export function soloCheck(id: string, config: unknown, make: () => World): void {
  const n = make().programs.length;
  if (n < 2) return; // one program: its violations are the scenario's own, and judged as such
  for (let i = 0; i < n; i++) {
    const makeAlone = alone(make, i);
    let bad: { exec: Execution; schedule: number[] } | null = null;
    explore(makeAlone, {
      reduction: 'optimal',
      stopAtViolation: false,
      maxExecutions: SOLO_BUDGET,
      shouldStop: () => bad !== null,
      onExecution: (exec, schedule) => {
        if (!bad && exec.violation && exec.violation.property !== 'deadlock') bad = { exec, schedule };
      },
    });
    if (!bad) continue;
    const { schedule } = bad as { schedule: number[] };
    const world = makeAlone();
    const { name, path } = world.programs[0];
    const rec = replay(world, schedule);
    const v = rec.violation!;
    throw new SoloViolation(name, path ?? rec.trace.find((s) => s.thread === 0)?.stack[0] ?? name, v, { id, config, schedule, preemptions: 0, violation: v, steps: rec.trace });
  }
}
