/**
 * DPOR on the real kernel model: every final state that random scheduling reaches must be among
 * the final states of the reduced exhaustive search (naive enumeration is out of reach at
 * 100+ steps, so random sampling stands in for it here; test/dpor.test.ts compares with naive
 * enumeration on small programs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { explore } from '../src/explore/dpor.js';
import { Execution } from '../src/explore/runtime.js';
import { CATALOG } from '../src/scenarios/catalog.js';

function fingerprint(exec: Execution): string {
  const m = exec.machine.mem;
  return JSON.stringify([Array.from(m.words), m.use.map((u) => u.kind), exec.violation?.property ?? null]);
}

/** mulberry32 */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ROWS = ['collapse/x86-64-ipi-no-recheck', 'collapse/arm64-pmd-recheck', 'reclaim/arm64-pte-recheck', 'reclaim/x86-64-no-pte-recheck'];

for (const id of ROWS) {
  test(`${id}: random schedules reach no final state DPOR missed`, () => {
    const s = CATALOG.find((x) => x.id === id)!;
    const reduced = new Set<string>();
    const r = explore(() => s.build(s.config), { reduction: 'dpor', stopAtViolation: false, onExecution: (e) => reduced.add(fingerprint(e)) });
    assert.equal(r.budget, undefined);
    const next = rng(7);
    for (let i = 0; i < 1500; i++) {
      const exec = new Execution(s.build(s.config), false);
      for (;;) {
        const en = exec.enabled();
        if (en.length === 0) break;
        exec.step(en[Math.floor(next() * en.length)]);
      }
      exec.finish();
      const f = fingerprint(exec);
      assert.ok(reduced.has(f), `sample ${i} reached a final state DPOR did not (${exec.violation?.message ?? 'no violation'})`);
    }
  });
}
