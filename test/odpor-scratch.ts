import fc from 'fast-check';
import { explore } from '../src/explore/dpor.js';
import { odporStats } from '../src/explore/odpor.js';
import { canonicalTrace } from '../src/explore/canonical.js';
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
const samples = fc.sample(programs, { numRuns: Number(process.argv[2] ?? 200), seed: 7 });
let bad = 0, blockedCases = 0, tot = 0;
for (const progs of samples) {
  const make = () => world(progs);
  const naiveT = new Set<string>();
  const n = explore(make, { reduction: 'none', stopAtViolation: false, maxExecutions: 5000, onExecution: (_e, s) => naiveT.add(canonicalTrace(make, s)) });
  if (n.budget) continue;
  tot++;
  const optT: string[] = [];
  let o;
  try {
    o = explore(make, { reduction: 'optimal', stopAtViolation: false, onExecution: (_e, s) => optT.push(canonicalTrace(make, s)) });
  } catch (e) { console.log('THROW', JSON.stringify(progs), e); bad++; continue; }
  const fsN = finalStates(progs, 'none')!, fsO = finalStates(progs, 'optimal' as any)!;
  const same = JSON.stringify([...fsN].sort()) === JSON.stringify([...fsO].sort());
  const distinct = new Set(optT).size === optT.length;
  const missing = [...naiveT].filter((t) => !optT.includes(t)).length;
  if (!same || !distinct || missing || o.sleepBlocked || odporStats.fallbacks) {
    if (!same || missing || !distinct || odporStats.fallbacks) bad++; else blockedCases++;
    console.log(JSON.stringify({ same, distinct, missing, naive: naiveT.size, opt: optT.length, blocked: o.sleepBlocked, fb: odporStats.fallbacks }), JSON.stringify(progs));
  }
}
console.log({ tot, bad, blockedCases });
{
  let sN = 0, sO = 0, sD = 0, sDB = 0, maxN = 0;
  for (const progs of samples) {
    const make = () => world(progs);
    const naiveT = new Set<string>();
    const n = explore(make, { reduction: 'none', stopAtViolation: false, maxExecutions: 5000, onExecution: (_e, s) => naiveT.add(canonicalTrace(make, s)) });
    if (n.budget) continue;
    const o = explore(make, { reduction: 'optimal', stopAtViolation: false });
    const d = explore(make, { reduction: 'dpor', stopAtViolation: false });
    sN += naiveT.size; sO += o.executions + o.sleepBlocked; sD += d.executions; sDB += d.sleepBlocked; maxN = Math.max(maxN, naiveT.size);
  }
  console.log({ sN, sO, sD, sDB, maxN });
}
