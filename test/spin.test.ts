/**
 * A cross-check between two checkers: Debian's spin, on the Promela model bench/spin.ts
 * generates from the collapse scenario, must give mmrace's verdict on the same question.
 * spin is required (CI installs it): without it the test fails and says how to install it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SPIN, layoutFor, promela, runSpin, spinAvailable, spinRow, togglesFor } from '../bench/spin.js';
import { check } from '../src/explore/check.js';
import { explore } from '../src/explore/dpor.js';
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

/**
 * Same granularity: per-thread step counts. The model is generated with a step counter in every
 * atomic statement, and spin checks exhaustively that every complete execution of the Promela
 * model ends with step counts (CPU 0's task, CPU 1, CPU 0's IPI handler) and an outcome (the page
 * GUP returned, whether the huge pmd was installed) that some execution mmrace explored has.
 * (One direction: a tuple mmrace has that spin cannot reach would not be caught here.)
 */
for (const id of ROWS) {
  test(`${id}: every Promela execution takes the steps of an mmrace execution`, () => {
    assert.ok(spinAvailable(), `spin is not installed (${SPIN} missing): apt-get install spin (.ci/run installs it)`);
    const s = collapse.find((x) => x.id === id)!;
    const seen = new Map<string, number[]>();
    explore(() => s.build(s.config), {
      reduction: 'dpor',
      stopAtViolation: false,
      onExecution: (e) => {
        const irq = e.threads.filter((t) => t.kind === 'irq').reduce((a, t) => a + t.steps, 0);
        const pages = (e.threads[0].result as number[] | undefined) ?? [];
        const tuple = [e.threads[0].steps, e.threads[1].steps, irq, pages.length ? pages[0] : -1, e.threads[1].result === 'SCAN_SUCCEED' ? 1 : 0];
        seen.set(tuple.join(' '), tuple);
      },
    });
    assert.ok(seen.size >= 3, 'mmrace explored several paths');
    const src = promela(togglesFor(s), layoutFor(s), s.id, { countSteps: true, allowed: [...seen.values()] });
    const sp = runSpin(src, { opt: '-O0' });
    assert.equal(sp.errors, 0, `a Promela execution whose step counts no mmrace execution has:\n${sp.output}`);
  });
}
