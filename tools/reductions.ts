/**
 * node dist/tools/reductions.js [--full] [--only id] [--limit ms]: per catalog row, the verdict,
 * executions (+ sleep-set-blocked ones) and wall time of 'dpor' and 'optimal' side by side, with
 * the explorer's own settings (stop at the first violation); --full explores every row to the end
 * (stopAtViolation false), as bench does. Exits 1 when a verdict differs.
 */
import { explore, type ExploreResult } from '../src/explore/dpor.js';
import { odporStats } from '../src/explore/odpor.js';
import { CATALOG } from '../src/scenarios/catalog.js';

const full = process.argv.includes('--full');
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const only = arg('--only');
const limit = arg('--limit') ? Number(arg('--limit')) : undefined;
let differ = 0;
const line = (cells: Array<string | number>) => console.log(cells.map((c, i) => (i === 0 ? String(c).padEnd(44) : String(c).padStart(12))).join(''));
line(['id', 'dpor', 'exec+blk', 'ms', 'optimal', 'exec+blk', 'ms', 'ms ratio', 'replays']);
for (const s of CATALOG) {
  if (only && !s.id.includes(only)) continue;
  const make = () => s.build(s.config);
  const run = (reduction: 'dpor' | 'optimal'): ExploreResult => explore(make, { reduction, stopAtViolation: !full, timeLimitMs: limit });
  const d = run('dpor');
  const o = run('optimal');
  const v = (r: ExploreResult) => r.verdict + (r.budget ? '*' : '');
  if (d.verdict !== o.verdict) differ++;
  line([s.id, v(d), `${d.executions}+${d.sleepBlocked}`, d.ms, v(o), `${o.executions}+${o.sleepBlocked}`, o.ms, (o.ms / Math.max(1, d.ms)).toFixed(2), odporStats.replays]);
}
if (differ) {
  console.log(`${differ} verdict(s) differ`);
  process.exit(1);
}
