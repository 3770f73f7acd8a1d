/**
 * npm run mutants [-- --json] [-- --only guard]: turn off each guard of the model (and revert each
 * fix a row's kernel has; features such as pt-reclaim are not fixes and are not reverted), one at a time, re-check the catalog, and report which rows catch it
 * (a row whose verdict changes). Every mutant should be caught by some row; one that is not is
 * either redundant or a hole in the catalog, and is listed.
 */
import { check } from '../src/explore/check.js';
import { GUARDS } from '../src/kernel/guards.js';
import { PATCHES, resolvePatches } from '../src/kernel/patches.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import type { Scenario } from '../src/scenarios/scenario.js';

interface Mutant {
  name: string;
  what: string;
  /** the row configured with this mutant, or null when it does not apply to the row */
  apply(s: Scenario): Scenario | null;
}

const guardMutants: Mutant[] = Object.entries(GUARDS).map(([name, what]) => ({
  name,
  what,
  apply: (s) => ({ ...s, config: { ...s.config, mutations: [...(s.config.mutations ?? []), name] } }),
}));

const patchMutants: Mutant[] = Object.values(PATCHES)
  .filter((p) => p.release !== 'proposal' && !p.feature)
  .map((p) => ({
    name: `revert ${p.name}`,
    what: `${p.commit} ${p.title}`,
    apply: (s) => (resolvePatches(s.config.kernel, s.config.patches).has(p.name) ? { ...s, config: { ...s.config, patches: [...s.config.patches, `-${p.name}`] } } : null),
  }));

function main(): void {
  const json = process.argv.includes('--json');
  const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1] : null;
  const opts = { noMinimize: true, timeLimitMs: 60_000 };
  const baseline = new Map(CATALOG.map((s) => [s.id, check(s, opts)]));
  const results = [];
  for (const m of [...guardMutants, ...patchMutants]) {
    if (only && m.name !== only) continue;
    const caughtBy: string[] = [];
    let rows = 0;
    for (const s of CATALOG) {
      const mutated = m.apply(s);
      if (!mutated) continue;
      rows++;
      const base = baseline.get(s.id)!;
      const r = check(mutated, opts);
      // a budget hit (unknown) is no verdict: only a definite change catches the mutant
      if (r.verdict !== 'unknown' && (r.verdict !== base.verdict || r.property !== base.property)) caughtBy.push(`${s.id} (${base.verdict} -> ${r.verdict}${r.property ? ` ${r.property}` : ''})`);
    }
    results.push({ mutant: m.name, what: m.what, rows, caughtBy });
    if (!json) console.log(`${caughtBy.length ? 'caught  ' : 'MISSED  '} ${m.name}${caughtBy.length ? `: ${caughtBy.join(', ')}` : `  (${rows} rows; ${m.what})`}`);
  }
  const caught = results.filter((r) => r.caughtBy.length > 0).length;
  if (json) console.log(JSON.stringify({ score: `${caught}/${results.length}`, results }, null, 2));
  else console.log(`\nmutation score: ${caught}/${results.length} mutants caught`);
}

main();
