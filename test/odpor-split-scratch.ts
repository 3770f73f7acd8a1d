import fc from 'fast-check';
import { dependent, type Root } from '../src/explore/dpor.js';
import { odporStats } from '../src/explore/odpor.js';
import { Execution } from '../src/explore/runtime.js';
import type { Footprint } from '../src/machine/machine.js';
import { world, finalStates } from './dpor.test.js';
const WORDS = 3, LOCKS = 2;
type Op = any;
const leafOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('load' as const), x: fc.nat(WORDS - 1) }),
  fc.record({ k: fc.constant('store' as const), x: fc.nat(WORDS - 1), v: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('add' as const), x: fc.nat(WORDS - 1) }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: leafOp },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), l: fc.nat(LOCKS - 1), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('irqoff' as const), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ipi' as const), to: fc.nat(2), x: fc.nat(WORDS - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rcu' as const), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'sync_rcu' as const }) },
);
const programs = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });
function split(progs: Op[][], depth: number): Root[] {
  const items: Root[] = [];
  const expand = (prefix: number[], sleep: Map<number, Footprint>, d: number) => {
    if (d === depth) return void items.push({ prefix, sleep });
    const exec = new Execution(world(progs), false);
    for (const t of prefix) exec.step(t);
    const enabled = exec.enabled();
    if (enabled.length === 0 || exec.violation) return void items.push({ prefix, sleep });
    const done: Array<[number, Footprint]> = [...sleep];
    for (const t of enabled) {
      if (sleep.has(t)) continue;
      const fp = exec.footprint(t);
      expand([...prefix, t], new Map(done.filter(([u, f]) => u !== t && !dependent(f, fp))), d + 1);
      done.push([t, fp]);
    }
  };
  expand([], new Map(), 0);
  return items;
}
let tot = 0, bad = 0, fb = 0;
for (const progs of fc.sample(programs, { numRuns: Number(process.argv[2] ?? 300), seed: Number(process.argv[3] ?? 11) })) {
  const whole = finalStates(progs, 'none');
  if (!whole) continue;
  for (const depth of [1, 2, 3]) {
    tot++;
    const union = new Set<string>();
    for (const root of split(progs, depth)) { for (const x of finalStates(progs, 'optimal', root)!) union.add(x); fb += odporStats.fallbacks; }
    const missing = [...whole].filter((x) => !union.has(x));
    if (missing.length || union.size !== whole.size) { bad++; console.log('BAD depth', depth, JSON.stringify(progs), missing.length); }
  }
}
console.log({ tot, bad, fb });
