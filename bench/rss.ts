/**
 * node dist/bench/rss.js <catalog id> [max executions]: check one row in this process and print
 * {id, verdict, executions, sleepBlocked, ms, baselineRssMB, peakRssMB} as JSON. Run it in a fresh child
 * process (bench.ts's memory section, test/robust.test.ts) so that the peak RSS is the row's
 * own: process.resourceUsage().maxRSS is the high-water mark of the whole process.
 */
import { check } from '../src/explore/check.js';
import { findScenario } from '../src/scenarios/catalog.js';

const [id, max] = process.argv.slice(2);
const s = id ? findScenario(id) : undefined;
if (!s) {
  console.error(`usage: node dist/bench/rss.js <catalog id> [max executions]${id ? ` (no row '${id}')` : ''}`);
  process.exit(3);
}
const baseline = process.resourceUsage().maxRSS; // KB: node and the modules, before the search
const r = check(s, { maxExecutions: max ? Number(max) : undefined });
const mb = (kb: number) => Math.round(kb / 1024);
console.log(
  JSON.stringify({
    id: r.id,
    verdict: r.verdict,
    budget: r.budget,
    executions: r.executions,
    sleepBlocked: r.sleepBlocked,
    ms: r.ms,
    baselineRssMB: mb(baseline),
    peakRssMB: mb(process.resourceUsage().maxRSS),
  }),
);
