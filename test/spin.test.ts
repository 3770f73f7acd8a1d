/**
 * A cross-check between two checkers: Debian's spin, on the Promela model bench/spin.ts
 * generates from the collapse scenario, must give mmrace's verdict on the same question.
 * spin is required (CI installs it): without it the test fails and says how to install it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPIN, spinAvailable, spinRow } from '../bench/spin.js';
import { check } from '../src/explore/check.js';
import { collapse } from '../src/scenarios/collapse.js';

const ROWS = ['collapse/arm64-no-recheck', 'collapse/arm64-pmd-recheck', 'collapse/x86-64-ipi-no-recheck'];

for (const id of ROWS) {
  test(`${id}: spin's verdict on the generated Promela model equals mmrace's`, () => {
    assert.ok(spinAvailable(), `spin is not installed (${SPIN} missing): apt-get install spin (.ci/run installs it)`);
    const s = collapse.find((x) => x.id === id)!;
    const m = check(s, { noMinimize: true });
    // -O0: the verdict does not depend on how pan.c is optimized, and it compiles ~10x faster
    const sp = spinRow(s, { opt: '-O0' });
    assert.equal(m.verdict, s.expect, 'mmrace gives the catalog verdict');
    assert.equal(sp.errors === 0 ? 'verified' : 'violated', sp.verdict);
    assert.equal(sp.verdict, m.verdict, `spin says ${sp.verdict} (${sp.property}), mmrace ${m.verdict} (${m.property})\n${sp.output}`);
    assert.equal(sp.property, m.property);
    assert.ok(sp.statesStored > 1000, 'spin explored the interleavings');
  });
}
