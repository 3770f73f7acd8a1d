/** Determinism and scale-out: the same scenario (and seed) gives byte-identical JSON (less the
 * wall time `ms`) across runs, with any --jobs, from the library's check(), and from the
 * shards of --shard i/N merged by `mmrace merge`; merge refuses shards that do not make up
 * one search. Runs the built CLI as a child process. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { check } from '../src/explore/check.js';
import { findScenario } from '../src/scenarios/catalog.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-par-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: TMP, timeout: 300_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

/** JSON text without the wall time (the one field that may differ between runs). */
function stable(text: string): string {
  return JSON.stringify(JSON.parse(text), (k, v) => (k === 'ms' ? undefined : v));
}

// a violated row (minimized counterexample), a verified row with an observation, a verified row
const ROWS = ['reclaim/arm64-no-pte-recheck', 'pae-tear/pmd-lockless', 'rcu-free/arm64-rcu-table-free'];

for (const id of ROWS) {
  test(`${id}: byte-identical JSON with --jobs 1, 2 and 3, and the same search from check()`, () => {
    const runs = [run('check', id, '--json'), run('check', id, '--json', '--jobs', '2'), run('check', id, '--json', '--jobs', '3')];
    for (const r of runs) assert.ok(r.status === 0 || r.status === 1, r.err);
    const texts = runs.map((r) => stable(r.out));
    for (const t of texts.slice(1)) assert.equal(t, texts[0]);
    const lib = check(findScenario(id)!);
    const cli = JSON.parse(runs[0].out);
    assert.deepEqual([lib.verdict, lib.executions, lib.sleepBlocked, lib.trace?.schedule ?? null], [cli.verdict, cli.executions, cli.sleepBlocked, cli.trace?.schedule ?? null]);
  });
}

test('--reduction optimal: the same verdict and counterexample property, the same JSON with any --jobs', () => {
  for (const id of ['reclaim/arm64-no-pte-recheck', 'collapse/x86-64-ipi-no-recheck']) {
    const d = JSON.parse(run('check', id, '--json').out);
    const o1 = run('check', id, '--json', '--reduction', 'optimal');
    const o2 = run('check', id, '--json', '--reduction', 'optimal', '--jobs', '2');
    assert.equal(stable(o1.out), stable(o2.out), id);
    const o = JSON.parse(o1.out);
    assert.deepEqual([o.verdict, o.property], [d.verdict, d.property], id);
  }
});

test('random and pct: the same seed gives byte-identical JSON, with any --jobs', () => {
  for (const strategy of ['random', 'pct']) {
    const a = run('check', 'collapse/arm64-no-recheck', '--strategy', strategy, '--seed', '5', '--max-executions', '50', '--json');
    const b = run('check', 'collapse/arm64-no-recheck', '--strategy', strategy, '--seed', '5', '--max-executions', '50', '--json', '--jobs', '2');
    assert.equal(stable(a.out), stable(b.out), strategy);
    assert.equal(JSON.parse(a.out).seed, 5);
  }
});

function shards(id: string, n: number, ...extra: string[]): string[] {
  return Array.from({ length: n }, (_, i) => {
    const r = run('check', id, '--shard', `${i + 1}/${n}`, ...extra);
    assert.equal(r.status, 0, r.err);
    const f = join(TMP, `${id.replace(/\//g, '_')}-${i + 1}of${n}.json`);
    writeFileSync(f, r.out);
    return f;
  });
}

for (const id of ['collapse/arm64-pmd-recheck', 'reclaim/arm64-no-pte-recheck']) {
  test(`${id}: merged shards give the verdict, totals and counterexample of one run`, () => {
    const one = run('check', id, '--json');
    for (const n of [2, 3]) {
      const files = shards(id, n);
      const m = run('merge', ...files.reverse(), '--json');
      assert.equal(m.status, one.status, m.err);
      assert.equal(stable(m.out), stable(one.out), `${n} shards`);
      const shard = JSON.parse(readFileSync(files[0], 'utf8'));
      assert.equal(shard.format, 'mmrace-shard');
    }
    const text = run('merge', ...shards(id, 2));
    assert.match(text.out, new RegExp(`${id}: (verified|violated)`));
  });
}

test('merge: a missing, repeated or foreign shard, or a bad file, is bad input (exit 3)', () => {
  const [a, b, c] = shards('collapse/x86-64-ipi-no-recheck', 3);
  const missing = run('merge', a, c);
  assert.equal(missing.status, 3);
  assert.match(missing.err, /missing shard 2\/3 of 3/);
  const twice = run('merge', a, b, b);
  assert.equal(twice.status, 3);
  assert.match(twice.err, /shard 2\/3 is given twice/);
  const [other] = shards('collapse/x86-64-pmd-recheck', 3);
  const foreign = run('merge', other, b, c);
  assert.equal(foreign.status, 3);
  assert.match(foreign.err, /is of another search than/);
  const junk = join(TMP, 'junk.json');
  writeFileSync(junk, '{"format": "mmrace-trace"}');
  const bad = run('merge', junk);
  assert.equal(bad.status, 3);
  assert.match(bad.err, /junk\.json: not an mmrace shard/);
  for (const r of [missing, twice, foreign, bad]) assert.doesNotMatch(r.err, /\n\s+at /);
  const usage = run('check', 'collapse/x86-64-ipi-no-recheck', '--shard', '4/3');
  assert.equal(usage.status, 3);
  assert.match(usage.err, /--shard.*expected i\/N with 1 <= i <= N/);
  const all = run('check', '--all', '--shard', '1/2');
  assert.equal(all.status, 3);
  assert.match(all.err, /--shard takes one target/);
});
