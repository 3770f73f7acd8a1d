/** check --all's verdict table: interrupted rows apart, and overrides compare nothing. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rowOutcome, verdictTable } from '../src/cli/format.js';
import type { CheckResult } from '../src/explore/check.js';

const row = (id: string, verdict: CheckResult['verdict'], expect: string, extra: Partial<CheckResult> = {}): CheckResult => ({
  id, family: id.split('/')[0], variant: id.split('/')[1], expect, verdict, property: null, coverage: { pairs: 0, bothOrders: 0 },
  executions: 1, ms: 1, sleepBlocked: 0, cutAtBound: 0, budget: null, trace: null, observations: [], ...extra,
});

test('an interrupted search is interrupted, neither as expected nor a difference; a violation found before the interrupt is compared', () => {
  const rows = [row('a/x', 'violated', 'violated'), row('a/y', 'verified', 'violated'), row('a/z', 'unknown', 'verified', { interrupted: true }), row('a/w', 'violated', 'violated', { interrupted: true })];
  assert.deepEqual(rows.map(rowOutcome), ['as expected', 'differs', 'interrupted', 'as expected']);
  const t = verdictTable(rows, new Map());
  assert.match(t, /^a\/z +interrupted +verified/m);
  assert.match(t, /^a\/y +verified  \(!\) +violated/m);
  assert.match(t, /^4 rows, 2 as kernel history says, 1 differ, 1 interrupted$/m);
});

test('with overrides, each expectation is shown as its own configuration\'s and nothing is compared', () => {
  const t = verdictTable([row('a/x', 'verified', 'violated'), row('a/y', 'violated', 'violated')], new Map(), '--kernel v6.1');
  assert.match(t, /^id +verdict +expect \(own config\)/);
  assert.doesNotMatch(t, /\(!\)|differ|as kernel history says/);
  assert.match(t, /^2 rows with --kernel v6\.1: 1 violated, 1 verified$/m);
  assert.match(t, /not compared\)$/);
});
