/**
 * Writes test/counterexamples.json, the minimized schedules of the catalog's violated rows that
 * test/explain.test.ts renders (replaying one is fast; finding and minimizing them all takes a
 * minute). Regenerate when the model changes:
 *   node dist/src/cli/main.js check --all --json | node dist/tools/counterexamples.js
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../src/explore/check.js';

const results = JSON.parse(readFileSync(0, 'utf8')) as CheckResult[];
const rows = results.flatMap((r) => (r.trace ? [{ id: r.id, property: r.trace.violation.property, preemptions: r.trace.preemptions, schedule: r.trace.schedule }] : []));
const out = fileURLToPath(new URL('../../test/counterexamples.json', import.meta.url));
writeFileSync(out, '[\n' + rows.map((r) => '  ' + JSON.stringify(r)).join(',\n') + '\n]\n');
console.log(`${out}: ${rows.length} counterexamples`);
