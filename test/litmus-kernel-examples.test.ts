/**
 * examples/litmus: two kernel questions reduced to the accesses that decide them, where the
 * memory model decides the verdict: unreachable under SC, reachable under LKMM, and unreachable
 * again with the ordering put back.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type LitmusResult, runFile } from '../src/litmus/run.js';

const DIR = join(import.meta.dirname, '..', '..', 'examples', 'litmus');

function run(name: string, model: 'lkmm' | 'sc'): LitmusResult {
  const r = runFile(join(DIR, `${name}.litmus`), model);
  assert.ok('observation' in r, `${name}: ${'error' in r ? r.error : ''}`);
  return r;
}

const PAIRS = [
  { broken: 'gup-fast-collapse-relaxed-ref', fixed: 'gup-fast-collapse', bad: '0:r0=1; 0:r2=1; 1:r4=1;' },
  { broken: 'seqcount-no-rmb', fixed: 'seqcount-rmb', bad: '0:r0=0; 0:r1=0; 0:r2=0;' },
];

for (const { broken, fixed, bad } of PAIRS) {
  test(`${broken}: Never under SC, Sometimes under LKMM, Never with the ordering back`, () => {
    assert.equal(run(broken, 'sc').observation, 'Never');
    const weak = run(broken, 'lkmm');
    assert.equal(weak.observation, 'Sometimes');
    assert.equal(weak.matches, true);
    assert.ok(weak.states.some((s) => s.startsWith(bad)), `${broken}: no state ${bad} in ${weak.states.join(' | ')}`);
    const strong = run(fixed, 'lkmm');
    assert.equal(strong.observation, 'Never');
    assert.ok(!strong.states.some((s) => s.startsWith(bad)));
    assert.equal(run(fixed, 'sc').observation, 'Never');
  });
}
