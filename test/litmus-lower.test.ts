/** The lowering: ops and tags per primitive, herd7's syntactic deps, and the condition on outcomes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holds, shownLocations } from '../src/litmus/condition.js';
import { showCondition } from '../src/litmus/herd.js';
import { ADDR_BASE, lower } from '../src/litmus/lower.js';
import { parseLitmus } from '../src/litmus/parser.js';
import type { MmOp, Outcome, Registers } from '../src/memory-model/ops.js';

/** Lower a one-thread test whose locations are x, y, z (in that order: addresses ADDR_BASE + 0, 1, 2). */
function one(body: string, init = ''): ReturnType<typeof lower> {
  return lower(parseLitmus('t.litmus', `C T\n{ ${init} }\nP0(int *x, int *y, int *z, spinlock_t *s, atomic_t *v) {\n${body}\n}\nexists (x=0)\n`));
}
const [X, Y, Z, S, V] = [0, 1, 2, 3, 4].map((i) => ADDR_BASE + i);

/** Run thread 0, sending `reads` (in order) to the ops that return a value, 0 to the others. */
function drive(l: ReturnType<typeof lower>, reads: number[] = [], thread = 0): { ops: MmOp[]; regs: Registers } {
  const gen = l.program.threads[thread]();
  const ops: MmOp[] = [];
  let r = gen.next();
  let k = 0;
  while (!r.done) {
    const op = r.value;
    ops.push(op);
    const reads1 = op.op === 'load' || op.op === 'rmw' || op.op === 'trylock' || op.op === 'islocked' || op.op === 'srcu-lock';
    r = gen.next(reads1 ? (reads[k++] ?? 0) : 0);
  }
  return { ops, regs: r.value };
}

/** An op in a short form: kind, tag, location name, value. */
function brief(op: MmOp): string {
  const loc = 'loc' in op ? ['x', 'y', 'z', 's', 'v'][op.loc - ADDR_BASE] : '';
  switch (op.op) {
    case 'load':
      return `R${op.tag} ${loc}`;
    case 'store':
      return `W${op.tag} ${loc}=${op.value}`;
    case 'rmw':
      return `RMW${op.tag} ${loc}`;
    case 'fence':
      return `F${op.tag}`;
    case 'srcu-unlock':
      return `srcu-unlock ${loc}=${op.value}`;
    default:
      return `${op.op} ${loc}`;
  }
}

test('lower: marked accesses, plain accesses and fences with their linux-kernel.def tags', () => {
  const l = one(`
    int r0 = READ_ONCE(*x);
    WRITE_ONCE(*y, 1);
    int r1 = smp_load_acquire(y);
    smp_store_release(z, 2);
    int *r2 = rcu_dereference(*y);
    rcu_assign_pointer(*z, x);
    smp_store_mb(*x, 3);
    *y = 4;
    int r3 = *z;
    smp_mb(); smp_rmb(); smp_wmb(); barrier();
    smp_mb__before_atomic(); smp_mb__after_atomic(); smp_mb__after_spinlock(); smp_mb__after_unlock_lock();
    rcu_read_lock(); rcu_read_unlock(); synchronize_rcu(); synchronize_rcu_expedited();`);
  assert.deepEqual(drive(l).ops.map(brief), [
    'Ronce x', 'Wonce y=1', 'Racquire y', 'Wrelease z=2', 'Ronce y', `Wrelease z=${X}`, 'Wonce x=3', 'Fmb', 'Wplain y=4', 'Rplain z',
    'Fmb', 'Frmb', 'Fwmb', 'Fbarrier', 'Fbefore-atomic', 'Fafter-atomic', 'Fafter-spinlock', 'Fafter-unlock-lock',
    'Frcu-lock', 'Frcu-unlock', 'Fsync-rcu', 'Fsync-rcu',
  ]);
});

test('lower: xchg, cmpxchg and the atomic_* family: tags, updates and results', () => {
  const l = one(`
    int a = xchg(x, 5);
    int b = xchg_relaxed(x, 6);
    int c = cmpxchg_acquire(y, 1, 2);
    int d = atomic_cmpxchg_release(v, 0, 9);
    atomic_inc(v);
    int e = atomic_add_return(3, v);
    int f = atomic_fetch_sub_relaxed(2, v);
    int g = atomic_dec_return_acquire(v);
    int h = atomic_fetch_inc_release(v);
    int i = atomic_dec_and_test(v);
    int j = atomic_add_negative(-5, v);
    int k = atomic_xchg(v, 7);
    int m = atomic_read(v);
    atomic_set_release(v, 8);`);
  // the value each read sees: a=10, b=11, c=1, d=3, inc: 0, e: old 4, f: old 10, g: old 1, h: old 7, i: old 1, j: old 4, k: 2, m: 7
  const { ops, regs } = drive(l, [10, 11, 1, 3, 0, 4, 10, 1, 7, 1, 4, 2, 7]);
  assert.deepEqual(ops.map(brief), ['RMWmb x', 'RMWonce x', 'RMWacquire y', 'RMWrelease v', 'RMWnoreturn v', 'RMWmb v', 'RMWonce v', 'RMWacquire v', 'RMWrelease v', 'RMWmb v', 'RMWmb v', 'RMWmb v', 'Ronce v', 'Wrelease v=8']);
  const rmw = ops.filter((o): o is Extract<MmOp, { op: 'rmw' }> => o.op === 'rmw');
  assert.deepEqual(rmw.map((o) => [o.update(1), o.update(4)]), [[5, 5], [6, 6], [2, undefined], [undefined, undefined], [2, 5], [4, 7], [-1, 2], [0, 3], [2, 5], [0, 3], [-4, -1], [7, 7]]);
  assert.equal(rmw[3].update(0), 9);
  assert.deepEqual(regs, { a: 10, b: 11, c: 1, d: 3, e: 7, f: 10, g: 0, h: 7, i: 1, j: 1, k: 2, m: 7 });
});

test('lower: spinlocks, SRCU and the registers a thread returns', () => {
  const l = one(`
    spin_lock(s);
    int t = spin_trylock(s);
    int u = spin_is_locked(s);
    spin_unlock(s);
    int c = srcu_read_lock(z);
    srcu_read_unlock(z, c);
    synchronize_srcu(z);
    synchronize_srcu_expedited(z);`);
  const { ops, regs } = drive(l, [0, 1, 6]);
  assert.deepEqual(ops.map(brief), ['lock s', 'trylock s', 'islocked s', 'unlock s', 'srcu-lock z', 'srcu-unlock z=6', 'sync-srcu z', 'sync-srcu z']);
  assert.deepEqual(regs, { t: 0, u: 1, c: 6 });
  // a register the init block sets is returned even if the thread never assigns it
  assert.deepEqual(drive(one('int r0;', '0:r0=5; 0:r1=x;')).regs, { r0: 5, r1: X });
});

test('deps: an address comes from the reads its pointer came from', () => {
  const l = one(`
    int *r0 = READ_ONCE(*y);
    int r1 = READ_ONCE(*r0);
    int r2 = *r0;
    WRITE_ONCE(*r0, 1);`, 'int x; y=x;');
  const { ops } = drive(l, [X, 0, 0]);
  assert.deepEqual(ops.map((o) => o.deps), [
    { addr: [], data: [], ctrl: [] },
    { addr: [0], data: [], ctrl: [] },
    { addr: [0], data: [], ctrl: [] },
    { addr: [0], data: [], ctrl: [] },
  ]);
  assert.deepEqual(ops.map((o) => ('loc' in o ? o.loc : -1)), [Y, X, X, X]);
});

test('deps: data flows through registers and arithmetic, syntactically (r - r still depends)', () => {
  const l = one(`
    int r0 = READ_ONCE(*x);
    int r1 = READ_ONCE(*y);
    int r2 = r0 - r0;
    WRITE_ONCE(*z, r2);
    WRITE_ONCE(*z, r0 + r1 * 2);
    WRITE_ONCE(*z, 7);
    int r3 = xchg(z, r1);
    r0 = 1;
    WRITE_ONCE(*y, r0);
    srcu_read_unlock(v, r3);`);
  const { ops } = drive(l, [5, 6, 0]);
  assert.deepEqual(ops.map((o) => [o.deps.addr, o.deps.data]), [[[], []], [[], []], [[], [0]], [[], [0, 1]], [[], []], [[], [1]], [[], []], [[], [5]]]);
  assert.deepEqual(ops.filter((o) => o.op === 'store').map((o) => (o as { value: number }).value), [0, 17, 7, 1]);
});

test('deps: plain accesses carry dependencies like registers (dep+plain)', () => {
  const l = one(`
    int a = READ_ONCE(*x);
    *y = a;
    *z = *y;
    if (*z == 1)
      WRITE_ONCE(*x, 1);`);
  const { ops } = drive(l, [1, 1, 1]);
  assert.deepEqual(ops.map(brief), ['Ronce x', 'Wplain y=1', 'Rplain y', 'Wplain z=1', 'Rplain z', 'Wonce x=1']);
  assert.deepEqual(ops.map((o) => o.deps), [
    { addr: [], data: [], ctrl: [] },
    { addr: [], data: [0], ctrl: [] },
    { addr: [], data: [], ctrl: [] },
    { addr: [], data: [2], ctrl: [] },
    { addr: [], data: [], ctrl: [] },
    { addr: [], data: [], ctrl: [4] },
  ]);
});

test('deps: ctrl reaches every later op of the thread, after the if and in either branch', () => {
  const l = one(`
    int r0 = READ_ONCE(*x);
    int r1 = READ_ONCE(*y);
    if (r0 == 1) {
      WRITE_ONCE(*y, 1);
    } else {
      WRITE_ONCE(*z, 1);
    }
    smp_mb();
    WRITE_ONCE(*z, 2);
    if (r1) { }
    int r2 = READ_ONCE(*z);`);
  for (const [r0, branch] of [[1, 'Wonce y=1'], [0, 'Wonce z=1']] as const) {
    const { ops } = drive(l, [r0, 0, 0]);
    assert.deepEqual(ops.map(brief), ['Ronce x', 'Ronce y', branch, 'Fmb', 'Wonce z=2', 'Ronce z']);
    assert.deepEqual(ops.map((o) => o.deps.ctrl), [[], [], [0], [0], [0], [0, 1]]);
  }
});

test('deps: && and || short-circuit; ?: depends on its test and the branch taken', () => {
  const l = one(`
    int r0 = READ_ONCE(*x);
    int r1 = r0 && READ_ONCE(*y);
    int r2 = r0 ? READ_ONCE(*z) : 5;
    WRITE_ONCE(*x, r2);`);
  assert.deepEqual(drive(l, [0]).ops.map(brief), ['Ronce x', 'Wonce x=5']);
  assert.deepEqual(drive(l, [0]).ops[1].deps.data, [0]);
  const taken = drive(l, [1, 1, 4]);
  assert.deepEqual(taken.ops.map(brief), ['Ronce x', 'Ronce y', 'Ronce z', 'Wonce x=4']);
  assert.deepEqual(taken.ops[3].deps.data, [0, 2]);
  assert.deepEqual(taken.regs, { r0: 1, r1: 1, r2: 4 });
});

test('lower: the init block gives memory and registers; pointers are addresses', () => {
  const l = lower(parseLitmus('t.litmus', 'C T\n{ x=1; y=x; int *p = &z; int w; 1:r0=y; }\nP0(int *x) {}\nP1(int *y) { int r1 = r0; }\nexists (1:r1=y)\n'));
  assert.deepEqual([...l.program.init].map(([a, v]) => [l.layout.name(a), l.layout.show(v)]), [['x', '1'], ['y', 'x'], ['p', 'z']]);
  assert.deepEqual(drive(l, [], 1).regs, { r0: ADDR_BASE + 1, r1: ADDR_BASE + 1 });
});

test('condition: atoms on registers and locations, pointer values, /\\ \\/ ~ =>', () => {
  const t = parseLitmus('c.litmus', 'C T\n{ y=x; }\nP0(int *x, int *y) { int r0; int r1; }\nlocations [y;]\nexists (0:r0=1 /\\ ~x=2 \\/ 0:r1=x => 0:r0=0:r1 \\/ y=x)\n');
  const { layout } = lower(t);
  const ax = layout.address('x');
  const o = (r0: number, r1: number, x: number, y: number): Outcome => ({ registers: [{ r0, r1 }], memory: new Map([[ax, x], [layout.address('y'), y]]), flags: [] });
  const p = t.condition.prop;
  assert.equal(holds(p, o(1, 0, 0, 0), layout), false); // the left holds (0:r0=1 /\ ~x=2), the right does not
  assert.equal(holds(p, o(1, 1, 0, 0), layout), true); // 0:r0=0:r1
  assert.equal(holds(p, o(1, 0, 0, ax), layout), true); // y=x: y holds the address of x
  assert.equal(holds(p, o(1, 1, 2, 0), layout), true); // x=2: the left fails
  assert.equal(holds(p, o(0, ax, 0, 0), layout), false); // 0:r1=x: the left holds
  assert.equal(holds(p, o(0, ax, 0, ax), layout), true);
  assert.equal(holds(p, o(0, 0, 0, 0), layout), true); // neither 0:r0=1 nor 0:r1=x
  assert.equal(showCondition(t.condition), 'exists ((0:r0=1 /\\ not (x=2) \\/ 0:r1=x) => (0:r0=0:r1 \\/ y=x))');
  assert.deepEqual(shownLocations(t).map((l) => (l.kind === 'reg' ? `${l.thread}:${l.name}` : l.name)), ['0:r0', '0:r1', 'x', 'y']);
});

test('condition: printed with parentheses where lib/constrGen.ml puts them', () => {
  const show = (c: string): string => showCondition(parseLitmus('c.litmus', `C T\n{}\nP0(int *x) { int r0; }\n${c}\n`).condition);
  assert.equal(show('exists ((x=1 \\/ x=2) /\\ 0:r0=1)'), 'exists ((x=1 \\/ x=2) /\\ 0:r0=1)');
  assert.equal(show('exists (x=1 \\/ x=2 /\\ 0:r0=1)'), 'exists (x=1 \\/ x=2 /\\ 0:r0=1)');
  assert.equal(show('~exists (x=1 /\\ (x=2 => 0:r0=1))'), '~exists (x=1 /\\ (x=2 => 0:r0=1))');
  assert.equal(show('forall (~(x=1 /\\ 0:r0=-1) \\/ true)'), 'forall (not (x=1 /\\ 0:r0=-1) \\/ true)');
  assert.equal(show('exists (0:r0!=1)'), 'exists (not (0:r0=1))');
});
