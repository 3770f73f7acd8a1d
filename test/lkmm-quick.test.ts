import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enumerate } from '../src/memory-model/enumerate.js';
import { type MmOp, type Registers, type MmProgram, NO_DEPS, type OpDeps, type LoadTag, type StoreTag, type FenceTag } from '../src/memory-model/ops.js';

const X = 1, Y = 2;
type T = Generator<MmOp, Registers, number>;
const ld = (loc: number, tag: LoadTag = 'once', deps: OpDeps = NO_DEPS): MmOp => ({ op: 'load', loc, tag, deps });
const st = (loc: number, value: number, tag: StoreTag = 'once', deps: OpDeps = NO_DEPS): MmOp => ({ op: 'store', loc, value, tag, deps });
const f = (tag: FenceTag): MmOp => ({ op: 'fence', tag, deps: NO_DEPS });

function states(p: MmProgram): string[] {
  const r = enumerate(p);
  return [...new Set(r.outcomes.map((o) => JSON.stringify(o.registers)))].sort();
}

test('MP: once is Sometimes, wmb+rmb Never', () => {
  const mp = (fence: boolean): MmProgram => ({
    init: new Map(),
    threads: [
      function* (): T { yield st(X, 1); if (fence) yield f('wmb'); yield st(Y, 1); return {}; },
      function* (): T { const a = yield ld(Y); if (fence) yield f('rmb'); const b = yield ld(X); return { a, b }; },
    ],
  });
  assert.ok(states(mp(false)).includes(JSON.stringify([{}, { a: 1, b: 0 }])));
  assert.ok(!states(mp(true)).includes(JSON.stringify([{}, { a: 1, b: 0 }])));
});

test('LB: plain once Sometimes; with ctrl+data deps Never', () => {
  const lb = (deps: boolean): MmProgram => ({
    init: new Map(),
    threads: [
      function* (): T { const a = yield ld(X); yield st(Y, 1, 'once', deps ? { addr: [], data: [], ctrl: [0] } : NO_DEPS); return { a }; },
      function* (): T { const b = yield ld(Y); yield st(X, 1, 'once', deps ? { addr: [], data: [0], ctrl: [] } : NO_DEPS); return { b }; },
    ],
  });
  assert.ok(states(lb(false)).includes(JSON.stringify([{ a: 1 }, { b: 1 }])));
  assert.ok(!states(lb(true)).includes(JSON.stringify([{ a: 1 }, { b: 1 }])));
});

test('SB: mb forbids', () => {
  const sb = (fence: boolean): MmProgram => ({
    init: new Map(),
    threads: [
      function* (): T { yield st(X, 1); if (fence) yield f('mb'); const a = yield ld(Y); return { a }; },
      function* (): T { yield st(Y, 1); if (fence) yield f('mb'); const b = yield ld(X); return { b }; },
    ],
  });
  assert.ok(states(sb(false)).includes(JSON.stringify([{ a: 0 }, { b: 0 }])));
  assert.ok(!states(sb(true)).includes(JSON.stringify([{ a: 0 }, { b: 0 }])));
});

test('RCU: gp vs read-side critical section', () => {
  const p = (rcu: boolean): MmProgram => ({
    init: new Map(),
    threads: [
      function* (): T { if (rcu) yield f('rcu-lock'); const a = yield ld(X); const b = yield ld(Y); if (rcu) yield f('rcu-unlock'); return { a, b }; },
      function* (): T { yield st(Y, 1); yield f('sync-rcu'); yield st(X, 1); return {}; },
    ],
  });
  const bad = JSON.stringify([{ a: 1, b: 0 }, {}]);
  assert.ok(states(p(false)).includes(bad));
  assert.ok(!states(p(true)).includes(bad));
});
