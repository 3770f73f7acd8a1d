/**
 * The reduction must not lose behaviours: on random small programs over shared words, locks,
 * IRQ-off regions, IPIs and RCU, DPOR reaches exactly the final states (memory, values each
 * thread read, deadlock) that naive enumeration of every interleaving reaches.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { Program } from '../src/machine/effects.js';
import { Machine } from '../src/machine/machine.js';
import { Geometry } from '../src/machine/mmu.js';
import { explore } from '../src/explore/dpor.js';
import type { World } from '../src/explore/runtime.js';

type Op =
  | { k: 'load'; x: number }
  | { k: 'store'; x: number; v: number }
  | { k: 'add'; x: number }
  | { k: 'locked'; l: number; body: Op[] }
  | { k: 'irqoff'; body: Op[] }
  | { k: 'ipi'; to: number; x: number }
  | { k: 'rcu'; body: Op[] }
  | { k: 'sync_rcu' };

const WORDS = 3;
const LOCKS = 2;

const leafOp: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ k: fc.constant('load' as const), x: fc.nat(WORDS - 1) }),
  fc.record({ k: fc.constant('store' as const), x: fc.nat(WORDS - 1), v: fc.integer({ min: 1, max: 3 }) }),
  fc.record({ k: fc.constant('add' as const), x: fc.nat(WORDS - 1) }),
);
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: leafOp },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('locked' as const), l: fc.nat(LOCKS - 1), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('irqoff' as const), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('ipi' as const), to: fc.nat(2), x: fc.nat(WORDS - 1) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('rcu' as const), body: fc.array(leafOp, { minLength: 1, maxLength: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'sync_rcu' as const }) },
);
const programs = fc.array(fc.array(op, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });

export function world(progs: Op[][]): World {
  const geometry = new Geometry({ bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 1 } });
  const machine = new Machine({ cpus: progs.length, frames: 1, staticWords: WORDS + LOCKS, geometry });
  const base = machine.mem.reserveStatic(WORDS + LOCKS);
  const lock = (l: number) => base + WORDS + l;
  function* run(ops: Op[], cpu: number, seen: number[]): Program<void> {
    for (const o of ops) {
      switch (o.k) {
        case 'load':
          seen.push((yield { op: 'load', addr: base + o.x, width: 1 }) as number);
          break;
        case 'store':
          yield { op: 'store', addr: base + o.x, width: 1, value: o.v };
          break;
        case 'add':
          seen.push((yield { op: 'add', addr: base + o.x, delta: 1 }) as number);
          break;
        case 'locked':
          yield { op: 'spin_lock', addr: lock(o.l) };
          yield* run(o.body, cpu, seen);
          yield { op: 'spin_unlock', addr: lock(o.l) };
          break;
        case 'irqoff':
          yield { op: 'irq_disable' };
          yield* run(o.body, cpu, seen);
          yield { op: 'irq_enable' };
          break;
        case 'rcu':
          yield { op: 'rcu_read_lock' };
          yield* run(o.body, cpu, seen);
          yield { op: 'rcu_read_unlock' };
          break;
        case 'sync_rcu': {
          const ticket = (yield { op: 'gp_start' }) as number;
          yield { op: 'gp_wait', ticket };
          break;
        }
        case 'ipi': {
          const target = o.to % progs.length;
          if (target === cpu) break;
          const x = base + o.x;
          const ticket = (yield {
            op: 'ipi_send', targets: [target], name: 'h',
            handler: function* () { yield { op: 'add', addr: x, delta: 10 }; },
          }) as number;
          yield { op: 'ipi_wait', ticket };
          break;
        }
      }
    }
  }
  const seen = progs.map(() => [] as number[]);
  return {
    machine,
    programs: progs.map((ops, cpu) => ({ name: `cpu${cpu}`, cpu, program: run(ops, cpu, seen[cpu]) })),
    symbol: (a) => `w${a - base}`,
    finalCheck: () => null,
    snapshot: () => seen,
  };
}

export function finalStates(progs: Op[][], reduction: 'optimal' | 'dpor' | 'none'): Set<string> | null {
  const out = new Set<string>();
  let seen: number[][] = [];
  const make = () => {
    const w = world(progs);
    seen = w.snapshot!() as number[][];
    return w;
  };
  const r = explore(make, {
    reduction,
    stopAtViolation: false,
    maxExecutions: 5_000,
    onExecution: (exec) => {
      const words = Array.from(exec.machine.mem.words.slice(exec.machine.mem.size - WORDS - LOCKS));
      out.add(JSON.stringify({ words, seen, v: exec.violation?.property ?? null }));
    },
  });
  return r.budget ? null : out;
}

test('DPOR reaches the same final states as naive enumeration', () => {
  fc.assert(
    fc.property(programs, (progs) => {
      const naive = finalStates(progs, 'none');
      fc.pre(naive !== null); // too many interleavings to enumerate naively
      const dpor = finalStates(progs, 'dpor');
      assert.ok(dpor, 'DPOR must finish where naive enumeration does');
      assert.deepEqual([...dpor].sort(), [...naive!].sort());
    }),
    { numRuns: 120, seed: 42 },
  );
});

test('DPOR explores fewer executions than naive enumeration on independent threads', () => {
  const progs: Op[][] = [
    [{ k: 'store', x: 0, v: 1 }, { k: 'store', x: 0, v: 2 }],
    [{ k: 'store', x: 1, v: 1 }, { k: 'store', x: 1, v: 2 }],
    [{ k: 'store', x: 2, v: 1 }, { k: 'store', x: 2, v: 2 }],
  ];
  const naive = explore(() => world(progs), { reduction: 'none' });
  const dpor = explore(() => world(progs), { reduction: 'dpor' });
  assert.equal(dpor.executions, 1);
  assert.equal(naive.executions, 90);
});

test('an IPI to a CPU waiting with IRQs off deadlocks', () => {
  const progs: Op[][] = [
    [{ k: 'irqoff', body: [{ k: 'ipi', to: 1, x: 0 }] }],
    [{ k: 'irqoff', body: [{ k: 'ipi', to: 0, x: 1 }] }],
  ];
  for (const reduction of ['dpor', 'none'] as const) {
    const r = explore(() => world(progs), { reduction });
    assert.equal(r.verdict, 'violated');
    assert.equal(r.found?.violation.property, 'deadlock');
  }
});
