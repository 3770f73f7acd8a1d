/**
 * The SC adapter onto the interleaving explorer: RMWs stay atomic, locks exclude, RCU and SRCU
 * grace periods wait for the read-side sections they must, deadlocks have no outcome, and on
 * random programs its final states are exactly those of the axiomatic SC model (enumerate with
 * src/memory-model/sc.ts) and among LKMM's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { lower } from '../src/litmus/lower.js';
import { parseLitmus } from '../src/litmus/parser.js';
import { runTest } from '../src/litmus/run.js';
import { enumerate } from '../src/memory-model/enumerate.js';
import type { EngineResult, MmProgram } from '../src/memory-model/ops.js';
import { sc } from '../src/memory-model/sc.js';
import { scInterleavings } from '../src/memory-model/sc-interleavings.js';

function sc1(text: string): { states: string[]; observation: string } {
  const r = runTest(parseLitmus('t.litmus', text), 'sc');
  return { states: r.states, observation: r.observation };
}

test('sc: RMWs are atomic (two increments always give 2; one cmpxchg of two wins)', () => {
  assert.deepEqual(sc1('C Inc\n{}\nP0(atomic_t *x) { atomic_inc(x); }\nP1(atomic_t *x) { int r0 = atomic_fetch_add(1, x); }\nforall (x=2)\n'), {
    states: ['x=2;'],
    observation: 'Always',
  });
  const cas = runTest(parseLitmus('t.litmus', 'C Cas\n{}\nP0(int *x) { int r0 = cmpxchg(x, 0, 1); }\nP1(int *x) { int r0 = cmpxchg(x, 0, 2); }\nlocations [x;]\nexists (0:r0=0 /\\ 1:r0=0)\n'), 'sc');
  assert.deepEqual(cas.states, ['0:r0=0; 1:r0=1; x=1;', '0:r0=2; 1:r0=0; x=2;']);
});

test('sc: a spinlock excludes; trylock and spin_is_locked see it', () => {
  const inc = 'spin_lock(s); int r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); spin_unlock(s);';
  assert.deepEqual(sc1(`C Lock\n{}\nP0(int *x, spinlock_t *s) { ${inc} }\nP1(int *x, spinlock_t *s) { ${inc} }\nexists (x=1)\n`), { states: ['x=2;'], observation: 'Never' });
  assert.deepEqual(sc1(`C NoLock\n{}\nP0(int *x) { int r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); }\nP1(int *x) { int r0 = READ_ONCE(*x); WRITE_ONCE(*x, r0 + 1); }\nexists (x=1)\n`), {
    states: ['x=1;', 'x=2;'],
    observation: 'Sometimes',
  });
  const t = sc1('C Try\n{}\nP0(spinlock_t *s) { spin_lock(s); spin_unlock(s); }\nP1(spinlock_t *s) { int r0 = spin_trylock(s); int r1 = spin_is_locked(s); }\nexists (1:r0=1)\n');
  assert.deepEqual(t.states, ['1:r0=0;', '1:r0=1;']);
});

const GP = (lock: string, unlock: string, sync: string, params = ''): string => `C GP
{}
P0(int *x, int *y${params}) { ${lock} int r0 = READ_ONCE(*x); int r1 = READ_ONCE(*y); ${unlock} }
P1(int *x, int *y${params}) { WRITE_ONCE(*x, 1); ${sync} WRITE_ONCE(*y, 1); }
exists (0:r0=0 /\\ 0:r1=1)
`;

test('sc: a grace period waits for the read-side sections that began before it (RCU, SRCU per struct)', () => {
  assert.equal(sc1(GP('', '', '')).observation, 'Sometimes');
  assert.equal(sc1(GP('rcu_read_lock();', 'rcu_read_unlock();', '')).observation, 'Sometimes');
  assert.equal(sc1(GP('rcu_read_lock();', 'rcu_read_unlock();', 'synchronize_rcu();')).observation, 'Never');
  assert.equal(sc1(GP('int c = srcu_read_lock(s);', 'srcu_read_unlock(s, c);', 'synchronize_srcu(s);', ', struct srcu_struct *s')).observation, 'Never');
  assert.equal(sc1(GP('int c = srcu_read_lock(s);', 'srcu_read_unlock(s, c);', 'synchronize_srcu(t);', ', struct srcu_struct *s, struct srcu_struct *t')).observation, 'Sometimes');
  // nested sections: the grace period waits for the outermost one to end
  assert.equal(sc1(GP('int c = srcu_read_lock(s); int d = srcu_read_lock(s); srcu_read_unlock(s, d);', 'srcu_read_unlock(s, c);', 'synchronize_srcu(s);', ', struct srcu_struct *s')).observation, 'Never');
});

test('sc: an execution that deadlocks has no outcome and is counted as rejected', () => {
  const run = (text: string): EngineResult => scInterleavings(lower(parseLitmus('t.litmus', text)).program);
  const locks = run('C Dead\n{}\nP0(spinlock_t *s) { spin_lock(s); }\nP1(spinlock_t *s) { spin_lock(s); }\nexists (s=1)\n');
  assert.deepEqual({ outcomes: locks.outcomes.length, rejected: locks.rejected, complete: locks.complete }, { outcomes: 0, rejected: { deadlock: 2 }, complete: true });
  const self = run('C Self\n{}\nP0(int *x) { rcu_read_lock(); synchronize_rcu(); rcu_read_unlock(); }\nexists (x=0)\n');
  assert.deepEqual(self.rejected, { deadlock: 1 });
});

// ---- random programs: the explorer's SC states are the axiomatic SC states, and among LKMM's ----

const LOCS = ['x', 'y'];
const stmt = fc.oneof(
  fc.record({ k: fc.constant('w'), l: fc.constantFrom(...LOCS), v: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ k: fc.constant('r'), l: fc.constantFrom(...LOCS), v: fc.constant(0) }),
  fc.record({ k: fc.constant('mb'), l: fc.constant('x'), v: fc.constant(0) }),
  fc.record({ k: fc.constant('xchg'), l: fc.constantFrom(...LOCS), v: fc.integer({ min: 1, max: 2 }) }),
  // no atomic_inc: enumerate's value-domain fixpoint does not settle on an increment (it reads
  // every value it wrote, and writes one more), so the axiomatic side cannot run it
  fc.record({ k: fc.constant('cas'), l: fc.constantFrom(...LOCS), v: fc.integer({ min: 1, max: 2 }) }),
  fc.record({ k: fc.constant('if'), l: fc.constantFrom(...LOCS), v: fc.integer({ min: 1, max: 2 }) }),
);
const programs = fc.array(fc.array(stmt, { minLength: 1, maxLength: 3 }), { minLength: 2, maxLength: 3 });

function litmus(threads: Array<Array<{ k: string; l: string; v: number }>>): string {
  const body = (ss: Array<{ k: string; l: string; v: number }>): string => {
    const regs: string[] = [];
    const out = ss.map((s) => {
      const r = `r${regs.length}`;
      switch (s.k) {
        case 'w':
          return `WRITE_ONCE(*${s.l}, ${s.v});`;
        case 'r':
          regs.push(r);
          return `${r} = READ_ONCE(*${s.l});`;
        case 'mb':
          return 'smp_mb();';
        case 'xchg':
          regs.push(r);
          return `${r} = xchg_relaxed(${s.l}, ${s.v});`;
        case 'inc':
          return `atomic_inc(${s.l});`;
        case 'cas':
          regs.push(r);
          return `${r} = cmpxchg(${s.l}, ${s.v - 1}, ${s.v});`;
        default: // a control dependency on the last register, or on a fresh read
          if (regs.length === 0) return `if (READ_ONCE(*${s.l})) WRITE_ONCE(*${s.l}, ${s.v});`;
          return `if (${regs[regs.length - 1]} == ${s.v}) WRITE_ONCE(*${s.l === 'x' ? 'y' : 'x'}, ${s.v});`;
      }
    });
    return [...regs.map((r) => `int ${r};`), ...out].join(' ');
  };
  return `C Random\n{}\n${threads.map((t, i) => `P${i}(int *x, int *y) { ${body(t)} }`).join('\n')}\nexists (x=0)\n`;
}

/** The final registers and the final values of x and y (an engine may leave out a location only read). */
function finalStates(p: MmProgram, r: EngineResult, locs: number[]): Set<string> {
  void p;
  return new Set(r.outcomes.map((o) => JSON.stringify([o.registers, locs.map((l) => o.memory.get(l) ?? 0)])));
}

test('sc: on random programs, the interleaving explorer gives the axiomatic SC states, a subset of LKMM\'s', () => {
  fc.assert(
    fc.property(programs, (threads) => {
      const text = litmus(threads);
      const { program, layout } = lower(parseLitmus('random.litmus', text));
      const locs = LOCS.map((l) => layout.address(l));
      const explorer = finalStates(program, scInterleavings(program), locs);
      const axiomatic = finalStates(program, enumerate(program, { model: sc }), locs);
      assert.deepEqual([...explorer].sort(), [...axiomatic].sort(), text);
      const weak = finalStates(program, enumerate(program), locs);
      for (const s of explorer) assert.ok(weak.has(s), `${text}\nSC state ${s} is not an LKMM state`);
    }),
    { numRuns: 25, seed: 12 },
  );
});
