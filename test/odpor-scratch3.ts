import { explore } from '../src/explore/dpor.js';
import { canonicalTrace } from '../src/explore/canonical.js';
import { CATALOG } from '../src/scenarios/catalog.js';
for (const id of process.argv.slice(2)) {
  const s = CATALOG.find((x) => x.id === id)!;
  const make = () => s.build(s.config);
  for (const reduction of ['dpor', 'optimal'] as const) {
    const seen = new Map<string, number>();
    const r = explore(make, { reduction, stopAtViolation: false, onExecution: (_e, sc) => { const c = canonicalTrace(make, sc); seen.set(c, (seen.get(c) ?? 0) + 1); } });
    console.log(id, reduction, r.verdict, r.executions, r.sleepBlocked, 'distinct', seen.size);
  }
  const dT = new Set<string>(), oT = new Set<string>();
  explore(make, { reduction: 'dpor', stopAtViolation: false, onExecution: (_e, sc) => dT.add(canonicalTrace(make, sc)) });
  explore(make, { reduction: 'optimal', stopAtViolation: false, onExecution: (_e, sc) => oT.add(canonicalTrace(make, sc)) });
  console.log('only in dpor', [...dT].filter((t) => !oT.has(t)).length, 'only in optimal', [...oT].filter((t) => !dT.has(t)).length);
}
