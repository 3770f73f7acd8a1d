/**
 * Each LKMM relation on its own, on hand-built executions, before the axioms compose them.
 * Events are named; `rel(c.ppo)` lists a relation's pairs as "a>b".
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventTag, Execution, MemEvent } from '../src/memory-model/execution.js';
import { Cat, failedAxiom, lkmmFlags } from '../src/memory-model/lkmm/index.js';
import type { Relation } from '../src/memory-model/relation.js';

const X = 1, Y = 2, Z = 3;
const LOCS: Record<number, string> = { [X]: 'ix', [Y]: 'iy', [Z]: 'iz' };
interface E { n: string; k: 'R' | 'W' | 'F'; t: EventTag; loc?: number; v?: number; addr?: string[]; data?: string[]; ctrl?: string[]; rmw?: string }

const R = (n: string, loc: number, v: number, t: EventTag = 'once', more: Partial<E> = {}): E => ({ n, k: 'R', t, loc, v, ...more });
const W = (n: string, loc: number, v: number, t: EventTag = 'once', more: Partial<E> = {}): E => ({ n, k: 'W', t, loc, v, ...more });
const F = (n: string, t: EventTag, loc?: number): E => ({ n, k: 'F', t, loc });

/** Builds an execution; co lists each location's non-initial writes in order (initial write first implicitly). */
function build(threads: E[][], rf: Record<string, string>, co: Record<number, string[]> = {}): { c: Cat; x: Execution; names: string[] } {
  const events: MemEvent[] = [];
  const ids = new Map<string, number>();
  for (const loc of [X, Y, Z]) {
    ids.set(LOCS[loc], events.length);
    events.push({ id: events.length, thread: -1, index: -1, kind: 'W', tag: 'IW', loc, value: 0, op: -1, addr: [], data: [], ctrl: [] });
  }
  threads.forEach((es, thread) => es.forEach((e, index) => {
    ids.set(e.n, events.length);
    events.push({ id: events.length, thread, index, kind: e.k, tag: e.t, loc: e.loc, value: e.v, op: index, addr: [], data: [], ctrl: [] });
  }));
  const id = (n: string): number => { const i = ids.get(n); if (i === undefined) throw new Error(n); return i; };
  const rmw = new Map<number, number>();
  for (const es of threads) for (const e of es) {
    const ev = events[id(e.n)];
    ev.addr = (e.addr ?? []).map(id); ev.data = (e.data ?? []).map(id); ev.ctrl = (e.ctrl ?? []).map(id);
    if (e.rmw) rmw.set(id(e.rmw), id(e.n));
  }
  const coMap = new Map<number, number[]>();
  for (const loc of [X, Y, Z]) coMap.set(loc, [id(LOCS[loc]), ...(co[loc] ?? events.filter((e) => e.kind === 'W' && e.loc === loc && e.tag !== 'IW').map((e) => LOCS[loc] && [...ids].find(([, i]) => i === e.id)![0])).map(id)]);
  const x: Execution = { events, threads: threads.length, rf: new Map(Object.entries(rf).map(([r, w]) => [id(r), id(w)])), co: coMap, rmw };
  const names = [...ids.entries()].sort((a, b) => a[1] - b[1]).map(([n]) => n);
  return { c: new Cat(x), x, names };
}

function rel(b: { names: string[] }, r: Relation): string[] {
  return r.pairs().map(([a, c]) => `${b.names[a]}>${b.names[c]}`).sort();
}
const has = (b: { names: string[] }, r: Relation, pair: string): boolean => rel(b, r).includes(pair);

test('herd base: po, int/ext, loc, rf, co, fr', () => {
  const b = build([[W('a', X, 1), R('b', Y, 0)], [W('c', Y, 1), R('d', X, 0)]], { b: 'iy', d: 'ix' });
  assert.deepEqual(rel(b, b.c.po), ['a>b', 'c>d']);
  assert.ok(has(b, b.c.ext, 'a>c') && !has(b, b.c.ext, 'a>b') && has(b, b.c.ext, 'ix>a'), 'initial writes are external');
  assert.deepEqual(rel(b, b.c.rf), ['ix>d', 'iy>b']);
  assert.deepEqual(rel(b, b.c.co), ['ix>a', 'iy>c']);
  assert.deepEqual(rel(b, b.c.fr), ['b>c', 'd>a']);
  assert.deepEqual(rel(b, b.c.poLoc), []);
});

test('bell: rcu-rscs matches nested sections innermost first', () => {
  const b = build([[F('l1', 'rcu-lock'), F('l2', 'rcu-lock'), F('u2', 'rcu-unlock'), F('u1', 'rcu-unlock'), F('u3', 'rcu-unlock')]], {});
  assert.deepEqual(rel(b, b.c.rcuRscs), ['l1>u1', 'l2>u2']);
  assert.ok(lkmmFlags(b.x).includes('unbalanced-rcu-unlock'));
});

test('bell: srcu-rscs follows the cookie by data and rf, on one srcu_struct', () => {
  const b = build([
    [R('l', Z, 0, 'srcu-lock'), W('s', X, 0, 'once', { data: ['l'] })],
    [R('r', X, 0), W('u', Z, 0, 'srcu-unlock', { data: ['r'] })],
  ], { l: 'iz', r: 's' });
  assert.deepEqual(rel(b, b.c.srcuRscs), ['l>u']);
});

test('bell: Marked and Plain; carry-dep extends addr through a plain store and load', () => {
  const b = build([[R('a', X, 0), W('p', Y, 0, 'plain', { data: ['a'] }), R('q', Y, 0, 'plain'), R('z', Z, 0, 'once', { addr: ['q'] })]], { a: 'ix', q: 'p' });
  assert.deepEqual(b.c.Plain.ids().map((i) => b.names[i]), ['p', 'q']);
  assert.ok(b.c.Marked.has(b.names.indexOf('a')) && b.c.Marked.has(b.names.indexOf('ix')));
  assert.ok(has(b, b.c.addr, 'a>z') && has(b, b.c.addr, 'q>z'));
  assert.ok(!has(b, b.c.addr0, 'a>z'), 'herd7 alone loses it');
});

test('lock.cat: lk-rmw, critical, Acquire/Release, lock-nest', () => {
  const b = build([[R('lr', X, 0, 'LKR', {}), W('lw', X, 1, 'LKW', { rmw: 'lr' }), W('u', X, 0, 'UL')]], { lr: 'ix' }, { [X]: ['lw', 'u'] });
  assert.deepEqual(rel(b, b.c.lkRmw), ['lr>lw']);
  assert.deepEqual(rel(b, b.c.critical), ['lw>u']);
  assert.ok(b.c.Acquire.has(b.names.indexOf('lr')) && b.c.Release.has(b.names.indexOf('u')));
  assert.equal(failedAxiom(b.x), undefined);
  const nested = build([[R('r1', X, 0, 'LKR'), W('w1', X, 1, 'LKW', { rmw: 'r1' }), R('r2', X, 0, 'LKR'), W('w2', X, 1, 'LKW', { rmw: 'r2' })]], { r1: 'ix', r2: 'ix' });
  assert.deepEqual(rel(nested, nested.c.lockNest), ['w1>r2']);
  assert.equal(failedAxiom(nested.x), 'lock-nest');
});

test('fences: rmb ignores noreturn reads, wmb orders writes only, acq-po and po-rel', () => {
  const b = build([[R('a', X, 0), R('n', Z, 0, 'noreturn'), F('f', 'rmb'), R('b', Y, 0), W('w', Z, 1)]], { a: 'ix', n: 'iz', b: 'iy' });
  assert.deepEqual(rel(b, b.c.rmb), ['a>b']);
  const w = build([[W('a', X, 1), R('r', Z, 0), F('f', 'wmb'), W('b', Y, 1)]], { r: 'iz' });
  assert.deepEqual(rel(w, w.c.wmb), ['a>b']);
  const ar = build([[R('q', X, 0, 'acquire'), R('m', Z, 0), W('s', Y, 1, 'release')]], { q: 'ix', m: 'iz' });
  assert.deepEqual(rel(ar, ar.c.acqPo), ['q>m', 'q>s']);
  assert.deepEqual(rel(ar, ar.c.poRel), ['m>s', 'q>s']);
});

test('mb: smp_mb__before_atomic orders only through an RMW', () => {
  const b = build([[W('a', X, 1), F('f', 'before-atomic'), R('r', Y, 0, 'once'), W('w', Y, 1, 'once', { rmw: 'r' }), R('c', Z, 0)]], { r: 'iy', c: 'iz' });
  assert.ok(has(b, b.c.mb, 'a>c') && has(b, b.c.mb, 'a>r'));
  const plain = build([[W('a', X, 1), F('f', 'before-atomic'), R('c', Z, 0)]], { c: 'iz' });
  assert.deepEqual(rel(plain, plain.c.mb), []);
});

test('gp and strong-fence; barrier includes rcu_read_lock', () => {
  const b = build([[W('a', X, 1), F('g', 'sync-rcu'), R('c', Y, 0)]], { c: 'iy' });
  assert.ok(has(b, b.c.gp, 'a>c') && has(b, b.c.strongFence, 'a>c'));
  const l = build([[W('a', X, 1), F('l', 'rcu-lock'), W('b', X, 2)]], {}, { [X]: ['a', 'b'] });
  assert.ok(has(l, l.c.barrier, 'a>b'));
});

test('ppo: to-r (addr), to-w (ctrl), no ppo without a dependency', () => {
  const b = build([[R('a', X, 0), R('b', Y, 0, 'once', { addr: ['a'] }), W('c', Z, 1, 'once', { ctrl: ['a'] }), R('d', Z, 1)]], { a: 'ix', b: 'iy', d: 'c' });
  assert.ok(has(b, b.c.ppo, 'a>b') && has(b, b.c.ppo, 'a>c'));
  assert.ok(!has(b, b.c.ppo, 'b>c'));
  assert.ok(has(b, b.c.ppo, 'c>d') === false, 'rfi is not ppo without a dependency into the write');
});

test('cumul-fence is A-cumulative through rfe; prop; hb', () => {
  // WRC shape: P0 writes x; P1 reads it, release-writes y; P2 acquire-reads y, reads x.
  const b = build([
    [W('a', X, 1)],
    [R('b', X, 1), W('c', Y, 1, 'release')],
    [R('d', Y, 1, 'acquire'), R('e', X, 0)],
  ], { b: 'a', d: 'c', e: 'ix' });
  assert.ok(has(b, b.c.cumulFence, 'a>c'), 'the release orders the write it read');
  assert.ok(has(b, b.c.prop, 'a>d'));
  assert.equal(b.c.hb.acyclic(), false);
  assert.equal(failedAxiom(b.x), 'happens-before');
});

test('pb: SB with smp_mb on both sides is a propagation cycle', () => {
  const b = build([[W('a', X, 1), F('f', 'mb'), R('b', Y, 0)], [W('c', Y, 1), F('g', 'mb'), R('d', X, 0)]], { b: 'iy', d: 'ix' });
  assert.ok(has(b, b.c.pb, 'b>d') && has(b, b.c.pb, 'd>b'), 'each read\'s fre, then the other side\'s mb');
  assert.equal(failedAxiom(b.x), 'propagation');
});

test('rcu-order: one gp against one critical section orders; two critical sections need two gps', () => {
  const oneOne = build([
    [F('l', 'rcu-lock'), R('a', X, 1), R('b', Y, 0), F('u', 'rcu-unlock')],
    [W('c', Y, 1), F('g', 'sync-rcu'), W('d', X, 1)],
  ], { a: 'd', b: 'iy' });
  assert.ok(oneOne.c.rcuOrder.pairs().length > 0);
  assert.equal(failedAxiom(oneOne.x), 'rcu');
});

test('data races: a plain write and a plain read in two threads without ordering', () => {
  const b = build([[W('a', X, 1, 'plain')], [R('b', X, 1, 'plain')]], { b: 'a' });
  assert.ok(rel(b, b.c.dataRaces).includes('a>b'));
  assert.ok(lkmmFlags(b.x).includes('data-race'));
  const ordered = build([[W('a', X, 1, 'plain'), W('s', Y, 1, 'release')], [R('q', Y, 1, 'acquire'), R('b', X, 1, 'plain')]], { q: 's', b: 'a' });
  assert.deepEqual(rel(ordered, ordered.c.dataRaces), []);
});

test('mixed-accesses: a plain write and a marked access to it in one thread', () => {
  const b = build([[W('a', X, 1, 'plain'), R('b', X, 1, 'once')]], { b: 'a' });
  assert.ok(lkmmFlags(b.x).includes('mixed-accesses'));
});

test('coherence and atomic axioms', () => {
  const corr = build([[W('a', X, 1)], [R('b', X, 1), R('c', X, 0)]], { b: 'a', c: 'ix' });
  assert.equal(failedAxiom(corr.x), 'coherence');
  const twoRmw = build([
    [R('r1', X, 0), W('w1', X, 1, 'once', { rmw: 'r1' })],
    [R('r2', X, 0), W('w2', X, 1, 'once', { rmw: 'r2' })],
  ], { r1: 'ix', r2: 'ix' }, { [X]: ['w1', 'w2'] });
  assert.equal(failedAxiom(twoRmw.x), 'atomic');
});
