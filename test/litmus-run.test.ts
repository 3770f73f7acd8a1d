/** Running litmus tests: herd7's output, the models, the CLI's exit codes and --json. */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { main } from '../src/cli/main.js';
import { parseLitmus } from '../src/litmus/parser.js';
import { type LitmusResult, runTest } from '../src/litmus/run.js';

const mp = (result: string, cond = 'exists (1:r0=1 /\\ 1:r1=0)', name = 'MP'): string => `C ${name}
(*
 * Result: ${result}
 *)
{}
P0(int *x, int *y)
{
\tWRITE_ONCE(*x, 1);
\tWRITE_ONCE(*y, 1);
}
P1(int *x, int *y)
{
\tint r0;
\tint r1;
\tr0 = READ_ONCE(*y);
\tr1 = READ_ONCE(*x);
}
${cond}
`;

const SB = `C SB
{}
P0(int *x, int *y)
{
\tint r0;
\tWRITE_ONCE(*x, 1);
\tr0 = READ_ONCE(*y);
}
P1(int *x, int *y)
{
\tint r0;
\tWRITE_ONCE(*y, 1);
\tr0 = READ_ONCE(*x);
}
exists (0:r0=0 /\\ 1:r0=0)
`;

function run(text: string, model: 'lkmm' | 'sc' = 'lkmm'): LitmusResult {
  return runTest(parseLitmus('t.litmus', text), model);
}

/** herd7's report without its Time line (which varies). */
function report(r: LitmusResult): string[] {
  const lines = r.herd.split('\n');
  assert.match(lines[lines.length - 1], new RegExp(`^Time ${r.name.replace(/[+.]/g, '\\$&')} \\d+\\.\\d\\d$`));
  return lines.slice(0, -1);
}

test('herd output: MP under LKMM, as herd7 prints it', () => {
  const r = run(mp('Sometimes'));
  assert.deepEqual(report(r), [
    'Test MP Allowed',
    'States 4',
    '1:r0=0; 1:r1=0;',
    '1:r0=0; 1:r1=1;',
    '1:r0=1; 1:r1=0;',
    '1:r0=1; 1:r1=1;',
    'Ok',
    'Witnesses',
    'Positive: 1 Negative: 3',
    'Condition exists (1:r0=1 /\\ 1:r1=0)',
    'Observation MP Sometimes 1 3',
  ]);
  assert.equal(r.matches, true);
});

test('herd output: ~exists counts its witnesses in the condition\'s sense, forall is Required', () => {
  const forbidden = run(mp('Sometimes', '~exists (1:r0=1 /\\ 1:r1=0)'));
  assert.deepEqual(report(forbidden).filter((l) => !/^\d:/.test(l)), [
    'Test MP Forbidden', 'States 4', 'No', 'Witnesses', 'Positive: 3 Negative: 1', 'Condition ~exists (1:r0=1 /\\ 1:r1=0)', 'Observation MP Sometimes 1 3',
  ]);
  const required = run(mp('Always', 'forall (1:r0=0 \\/ 1:r1=1)'), 'sc');
  assert.deepEqual(report(required).filter((l) => !/^\d:/.test(l)), [
    'Test MP Required', 'States 3', 'Ok', 'Witnesses', 'Positive: 3 Negative: 0', 'Condition forall (1:r0=0 \\/ 1:r1=1)', 'Observation MP Always 3 0',
  ]);
});

test('herd output: locations add to the states, filter removes executions, flags are listed before the condition', () => {
  const r = run(mp('Never', 'locations [x; y;]\nfilter (1:r0=1)\nexists (1:r1=0)'));
  assert.deepEqual(r.states, ['1:r1=0; x=1; y=1;', '1:r1=1; x=1; y=1;']);
  assert.equal(r.observation, 'Sometimes');
  assert.equal(r.matches, false);
  assert.equal(r.mismatch, "Sometimes, but the file's Result: says Never");
  const race = run(`C Race\n(* Result: Sometimes DATARACE *)\n{}\nP0(int *x) { *x = 1; }\nP1(int *x) { int r0; r0 = *x; }\nexists (1:r0=1)\n`);
  const lines = report(race);
  assert.deepEqual(lines.slice(lines.indexOf('Witnesses')), ['Witnesses', 'Positive: 1 Negative: 1', 'Flag data-race', 'Condition exists (1:r0=1)', 'Observation Race Sometimes 1 1']);
  assert.equal(race.matches, true);
  // without the DATARACE marker, judgelitmus.sh's rule: a flagged race is a mismatch
  assert.equal(run(`C Race\n(* Result: Sometimes *)\n{}\nP0(int *x) { *x = 1; }\nP1(int *x) { int r0; r0 = *x; }\nexists (1:r0=1)\n`).matches, false);
});

test('herd output: pointer values print as the location names', () => {
  const r = run(`C Ptr\n{ y=z; }\nP0(int *x, int **y) { rcu_assign_pointer(*y, x); }\nP1(int **y) { int *r0; r0 = rcu_dereference(*y); }\nexists (1:r0=x)\n`);
  assert.deepEqual(r.states, ['1:r0=x;', '1:r0=z;']);
  assert.equal(r.observation, 'Sometimes');
});

test('--model sc: MP and SB give exactly the SC states, which LKMM extends with the weak one', () => {
  const states = (text: string, model: 'lkmm' | 'sc'): string[] => run(text, model).states;
  assert.deepEqual(states(mp('Sometimes'), 'sc'), ['1:r0=0; 1:r1=0;', '1:r0=0; 1:r1=1;', '1:r0=1; 1:r1=1;']);
  assert.deepEqual(states(SB, 'sc'), ['0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;', '0:r0=1; 1:r0=1;']);
  assert.deepEqual(states(mp('Sometimes'), 'lkmm'), ['1:r0=0; 1:r1=0;', '1:r0=0; 1:r1=1;', '1:r0=1; 1:r1=0;', '1:r0=1; 1:r1=1;']);
  assert.deepEqual(states(SB, 'lkmm'), ['0:r0=0; 1:r0=0;', '0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;', '0:r0=1; 1:r0=1;']);
  const sc = run(mp('Sometimes'), 'sc');
  assert.equal(sc.observation, 'Never');
  // the file's Result: is LKMM's; under SC an LKMM Sometimes may be anything, Never must stay Never
  assert.equal(sc.matches, true);
  assert.equal(run(mp('Always', 'exists (1:r0=1 /\\ 1:r1=0)'), 'sc').matches, false);
});

// ---- the command line ----

function sink(to: string[]): NodeJS.WritableStream {
  return Object.assign(new PassThrough(), { write: (c: string) => (to.push(String(c)), true) });
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(['litmus', ...args], { stdout: sink(out), stderr: sink(err) });
  return { code, out: out.join(''), err: err.join('') };
}

function files(entries: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-litmus-'));
  for (const [name, text] of Object.entries(entries)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

test('CLI: exit 0 when the result matches the Result: comment, 1 when it differs (with a note), 3 for the only file bad', async () => {
  const dir = files({ 'good.litmus': mp('Sometimes'), 'wrong.litmus': mp('Never', undefined, 'MP-wrong'), 'bad.litmus': 'C Bad\n{}\nP0(int *x) {\n  WRITE_ONCE(*x 1);\n}\nexists (x=1)\n' });
  const good = await cli([join(dir, 'good.litmus')]);
  assert.equal(good.code, 0, good.err);
  assert.match(good.out, /^Test MP Allowed\nStates 4\n/);
  assert.match(good.out, /\nObservation MP Sometimes 1 3\nTime MP \d+\.\d\d\n\n$/);
  assert.equal(good.err, '');
  const wrong = await cli([join(dir, 'wrong.litmus')]);
  assert.equal(wrong.code, 1);
  assert.match(wrong.out, /Observation MP-wrong Sometimes 1 3/);
  assert.equal(wrong.err, `mmrace: ${join(dir, 'wrong.litmus')}: MP-wrong: Sometimes, but the file's Result: says Never\n`);
  const bad = await cli([join(dir, 'bad.litmus')]);
  assert.equal(bad.code, 3);
  assert.equal(bad.err, `mmrace: ${join(dir, 'bad.litmus')}:4:17: expected ',' or ')', not '1'\n`);
  assert.equal(bad.out, '');
  assert.equal((await cli([join(dir, 'bad.litmus'), '--json'])).code, 3);
  assert.equal((await cli([join(dir, 'nothing-here')])).code, 3);
  assert.equal((await cli([join(dir, 'good.litmus'), '--model', 'tso'])).code, 3);
});

test('CLI --json: a directory (every *.litmus below it, sorted), one bad file does not stop the others', async () => {
  const dir = files({ 'b/SB.litmus': SB, 'a-bad.litmus': 'C Bad\n{}\nP0(int *x) {}\n', 'c.litmus': mp('Sometimes'), 'notes.txt': 'not a test' });
  const r = await cli([dir, '--json', '--model', 'sc']);
  assert.equal(r.code, 1, 'a bad file among several is a failure');
  const rows = JSON.parse(r.out) as Array<Record<string, unknown>>;
  assert.deepEqual(rows.map((x) => x.file), [join(dir, 'a-bad.litmus'), join(dir, 'b/SB.litmus'), join(dir, 'c.litmus')]);
  assert.deepEqual(rows[0], { file: join(dir, 'a-bad.litmus'), error: `${join(dir, 'a-bad.litmus')}:4:1: expected the final condition: exists, ~exists or forall (or locations, filter), not the end of the file` });
  const sb = rows[1];
  assert.equal(sb.name, 'SB');
  assert.equal(sb.model, 'sc');
  assert.equal(sb.observation, 'Never');
  assert.deepEqual(sb.states, ['0:r0=0; 1:r0=1;', '0:r0=1; 1:r0=0;', '0:r0=1; 1:r0=1;']);
  assert.equal(sb.executions, 3);
  assert.equal(typeof sb.ms, 'number');
  assert.equal(sb.matches, null, 'no Result: comment');
  assert.equal(rows[2].matches, true);
  assert.equal(r.err, '', '--json says everything in the JSON');
  // text mode: the bad file's error on stderr, the others' reports on stdout
  const text = await cli([dir]);
  assert.equal(text.code, 1);
  assert.match(text.err, /a-bad\.litmus:4:1: expected the final condition/);
  assert.deepEqual(text.out.match(/^Test .*$/gm), ['Test SB Allowed', 'Test MP Allowed']);
  // all good: exit 0
  assert.equal((await cli([join(dir, 'b'), join(dir, 'c.litmus')])).code, 0);
});
