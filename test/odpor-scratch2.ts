import fc from 'fast-check';
import { explore } from '../src/explore/dpor.js';
import { canonicalTrace } from '../src/explore/canonical.js';
import { world } from './dpor.test.js';
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
const samples = fc.sample(programs, { numRuns: 200, seed: 7 });
for (const progs of samples) {
  const make = () => world(progs);
  const naiveT = new Set<string>();
  const n = explore(make, { reduction: 'none', stopAtViolation: false, maxExecutions: 5000, onExecution: (_e, s) => naiveT.add(canonicalTrace(make, s)) });
  if (n.budget) continue;
  const dT = new Set<string>();
  const d = explore(make, { reduction: 'dpor', stopAtViolation: false, onExecution: (_e, s) => dT.add(canonicalTrace(make, s)) });
  const miss = [...naiveT].filter((t) => !dT.has(t));
  if (miss.length) { console.log(JSON.stringify(progs), naiveT.size, d.executions, miss.slice(0,3)); }
}
