/**
 * The rules that keep verdicts honest (DESIGN §4, issue 11 §2 and §3):
 *  - a violation that needs no race is not a race: a program that breaks an oracle alone is bad
 *    input (SoloViolation; the CLI exits 3 with the path, the property and the trace);
 *  - every counterexample states its preemptions, and no violated catalog row needs none;
 *  - a proof states the conflicting cross-CPU pairs it ran in both orders; with none it is
 *    vacuous, not verified, and no verified catalog row is vacuous.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import { main } from '../src/cli/main.js';
import { folio_get } from '../src/kernel/sync/refcount.js';
import { Address, definePath } from '../src/scenarios/paths.js';
import { type CheckResult, check } from '../src/explore/check.js';
import type { World } from '../src/explore/runtime.js';
import { SoloViolation } from '../src/explore/solo.js';
import { type Program, Violation } from '../src/machine/effects.js';
import { Machine } from '../src/machine/machine.js';
import { Geometry } from '../src/machine/mmu.js';
import { CATALOG } from '../src/scenarios/catalog.js';

/** Raw programs over three words x, y, z; the final check fails when `bad(words)` says so. */
type RawOp = { load: number } | { store: number; v: number };
function rawScenario(id: string, progs: RawOp[][], bad: (words: number[]) => string | null) {
  const build = (): World => {
    const geometry = new Geometry({ bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 1 } });
    const machine = new Machine({ cpus: progs.length, frames: 1, staticWords: 3, geometry });
    const base = machine.mem.reserveStatic(3);
    function* run(ops: RawOp[]): Program<void> {
      for (const o of ops) {
        if ('load' in o) yield { op: 'load', addr: base + o.load, width: 1 };
        else yield { op: 'store', addr: base + o.store, width: 1, value: o.v };
      }
    }
    const words = () => [0, 1, 2].map((i) => machine.mem.words[base + i]);
    return {
      machine,
      programs: progs.map((ops, cpu) => ({ name: `cpu${cpu}`, cpu, program: run(ops) })),
      symbol: (a) => 'xyz'[a - base],
      finalCheck: () => {
        const m = bad(words());
        return m ? new Violation('assertion', m) : null;
      },
    };
  };
  return { id, family: 'raw', variant: id, expect: 'unstated', config: {}, build };
}

test('solo: a program that breaks an oracle on its own is bad input, with the path, the property and the trace', () => {
  // cpu0 sets x; the oracle forbids x = 1 whatever cpu1 does: no race is needed
  const s = rawScenario('raw/solo', [[{ store: 0, v: 1 }], [{ load: 1 }]], (w) => (w[0] === 1 ? 'x is 1' : null));
  assert.throws(
    () => check(s),
    (e: unknown) => {
      assert.ok(e instanceof SoloViolation);
      assert.equal(e.program, 'cpu0');
      assert.equal(e.violation.property, 'assertion');
      assert.match(e.message, /cpu0 .* breaks assertion run alone/);
      assert.deepEqual(e.trace.steps.map((st) => st.op), ['store']);
      return true;
    },
  );
  // an oracle only an interleaving breaks: x = 2 and y = 1 at the end needs cpu1's store to y
  // before cpu0's and cpu0's store to x before cpu1's (neither program alone, nor either order
  // of the two whole programs, ends there)
  const race = rawScenario(
    'raw/race',
    [[{ store: 0, v: 1 }, { store: 1, v: 1 }], [{ store: 1, v: 2 }, { store: 0, v: 2 }]],
    (w) => (w[0] === 2 && w[1] === 1 ? 'x = 2, y = 1' : null),
  );
  const r = check(race);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'assertion');
  assert.equal(r.trace!.preemptions, 1);
});

test('vacuity: a clean search that ran no conflicting pair both ways is vacuous, not verified', () => {
  const disjoint = check(rawScenario('raw/disjoint', [[{ store: 0, v: 1 }], [{ store: 1, v: 1 }]], () => null));
  assert.equal(disjoint.verdict, 'vacuous');
  assert.deepEqual(disjoint.coverage, { pairs: 0, bothOrders: 0 });
  const racing = check(rawScenario('raw/racing', [[{ store: 0, v: 1 }], [{ load: 0 }, { load: 1 }]], () => null));
  assert.equal(racing.verdict, 'verified');
  assert.deepEqual(racing.coverage, { pairs: 1, bothOrders: 1 });
});

test('CLI: a path that breaks an oracle alone exits 3 naming the path and the property, with its trace', async () => {
  // a user's path with a bug of its own: it takes a page reference and never drops it
  definePath('leaky_get', {
    description: 'test: takes a reference on the page at addr and forgets it',
    args: z.object({ addr: Address }).strict(),
    run: (c, a, env) => folio_get(c.kernel, env.pageAt(a.addr, ['addr'])),
  });
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-solo-'));
  const yaml = join(dir, 'solo.yaml');
  writeFileSync(yaml, ['arch: x86-64', 'kernel: v6.6', 'map: anon-small at 0x4000 pages 1', 'cpus:', '  - gup_fast: {addr: 0x4000, pages: 1, flags: [FOLL_GET]}', '  - leaky_get: {addr: 0x4000}', ''].join('\n'));
  const out: string[] = [];
  const err: string[] = [];
  const sink = (to: string[]) => Object.assign(new PassThrough(), { write: (c: string) => (to.push(String(c)), true) });
  const code = await main(['check', yaml], { stdout: sink(out), stderr: sink(err) });
  const text = err.join('');
  assert.equal(code, 3, text);
  assert.match(text, /^mmrace: file\/solo: cpu1 \(leaky_get\) breaks refcount run alone/);
  assert.match(text, /leak: folio \d+ has refcount 2/);
  assert.match(text, /CPU 1/); // the trace, as a table
  assert.equal(out.join(''), '');
});

test('catalog: every violated row needs a preemption, every verified row ran a conflicting pair both ways', () => {
  const rows: CheckResult[] = CATALOG.map((s) => check(s, { timeLimitMs: 120_000 }));
  for (const r of rows) {
    assert.equal(r.budget, null, `${r.id}: the search must be exhaustive`);
    assert.equal(r.verdict, r.expect, `${r.id}: ${r.verdict} (${r.coverage.bothOrders} of ${r.coverage.pairs} pairs run both ways)`);
    if (r.verdict === 'violated') assert.ok(r.trace && r.trace.preemptions >= 1, `${r.id}: counterexample with ${r.trace?.preemptions} preemptions`);
  }
});
