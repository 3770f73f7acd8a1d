/** The progress bar: per row its name and rate, the minimization's runs apart from the search. */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { Progress } from '../src/cli/run.js';

function bar(rows: number): { p: Progress; out: () => string; at: (ms: number) => void } {
  let text = '';
  let now = 0;
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += String(chunk);
      done();
    },
  });
  return { p: new Progress(true, 0, stream, rows, () => now), out: () => text, at: (ms) => (now = ms) };
}

const explore = (id: string, executions: number) => ({ type: 'progress' as const, id, executions, phase: 'explore' as const });
const minimize = (id: string, executions: number) => ({ type: 'progress' as const, id, executions, phase: 'minimize' as const });

test('check --all: each row is named and numbered, and its rate is its own', () => {
  const { p, out, at } = bar(56);
  p.startRow(0);
  at(2000);
  p.update(explore('collapse/arm64-no-recheck', 1000));
  p.stop();
  at(10_000);
  p.startRow(1);
  at(12_000);
  p.update(explore('collapse/arm64-pmd-recheck', 100));
  p.stop();
  assert.match(out(), /^\[1\/56\] collapse\/arm64-no-recheck 1000 executions \| 500\/s \| 2\.0 s$/m);
  // 100 executions in the 2 s since the row started (not in the 12 s since the run did)
  assert.match(out(), /^\[2\/56\] collapse\/arm64-pmd-recheck 100 executions \| 50\/s \| 2\.0 s$/m);
});

test('minimization is counted apart: the search\'s executions and rate stay as the search left them', () => {
  const { p, out, at } = bar(1);
  p.startRow(0);
  at(1000);
  p.update(explore('collapse/arm64-no-recheck', 23));
  at(2000);
  p.update(minimize('collapse/arm64-no-recheck', 0));
  at(4000);
  p.update(minimize('collapse/arm64-no-recheck', 3157));
  p.stop();
  const last = out().trimEnd().split('\n').pop()!;
  assert.equal(last, 'collapse/arm64-no-recheck 23 executions | 23/s | 4.0 s | minimizing: 3157 runs, 1579/s', 'one check: no row number');
  assert.doesNotMatch(out(), /3157 executions/);
});
