/**
 * User-defined properties: a final-state oracle (defineOracle) a scenario names in `oracles`,
 * and WARN_ON / VM_BUG_ON inside a path, each reported as a property of its own, each violated
 * only by an interleaving (never by a CPU running alone).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Address, type Ctx, type Program, VM_BUG_ON, Violation, WARN_ON, atomic_add_return, check, cmpxchg, defineOracle, definePatch, definePath,
  defineScenario, defineSetup, kernel_word, kfunc, mm_find_pmd, pte_offset_map_lock, pte_unmap_unlock, ptep_get, read_word, renderTable,
  write_word, z,
} from '../src/api.js';

// --- a final-state oracle: at most one CPU inside a section guarded by a flag ----------------

interface Section {
  busy: number;
  inside: number;
}

definePatch({ name: 'section-cmpxchg', title: 'enter_section: claim the flag with cmpxchg', effect: 'test and set in one atomic step' });

defineSetup('section', {
  description: 'a flag word guarding a section, and a count of the CPUs inside',
  args: z.object({}).strict(),
  apply: (k, _a, env) => void env.state.set('section', { busy: kernel_word(k, 'section.busy'), inside: kernel_word(k, 'section.inside') }),
});

const enter_section = kfunc('enter_section', function* (k: Ctx, s: Section): Program<void> {
  if (k.kernel.has('section-cmpxchg')) {
    if ((yield* cmpxchg(s.busy, 0, 1)) !== 0) return;
  } else {
    if ((yield* read_word(s.busy)) !== 0) return; // test, then set: two steps
    yield* write_word(s.busy, 1);
  }
  yield* atomic_add_return(s.inside, 1);
});

definePath('enter_section', {
  description: 'enter the section if its flag is clear',
  args: z.object({}).strict(),
  run: (c, _a, env) => enter_section(c, env.state.get('section') as Section),
});

defineOracle('at-most-one-inside', (s) => {
  const n = s.variable('section.inside');
  return n > 1 ? `${n} CPUs are inside the section` : null;
});

const section = (patches: string[], oracles?: string[]) =>
  defineScenario({
    id: 'test/section',
    arch: 'x86-64',
    kernel: 'v6.12',
    patches,
    map: [{ 'anon-small': { at: 0x4000, pages: 1 } }],
    setup: [{ section: {} }],
    cpus: ['enter_section', 'enter_section'],
    ...(oracles ? { oracles } : {}),
  });

test('defineOracle: a user property violated by a race, the counterexample naming it', () => {
  const r = check(section([], ['at-most-one-inside']));
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'at-most-one-inside');
  const cx = r.trace!;
  assert.deepEqual(cx.violation, { property: 'at-most-one-inside', message: '2 CPUs are inside the section', step: cx.steps.length });
  // both CPUs read the flag clear before either set it
  const reads = cx.steps.filter((x) => x.op === 'load' && x.target === 'section.busy');
  const writes = cx.steps.filter((x) => x.op === 'store' && x.target === 'section.busy');
  assert.deepEqual(reads.map((x) => [x.cpu, x.read]).sort(), [[0, 0], [1, 0]]);
  assert.ok(Math.max(...reads.map((x) => x.index)) < Math.min(...writes.map((x) => x.index)));
  assert.match(renderTable(cx), /AT-MOST-ONE-INSIDE: 2 CPUs are inside the section$/);
  // the property holds with the test and set in one step; and it is checked only where named
  assert.equal(check(section(['+section-cmpxchg'], ['at-most-one-inside'])).verdict, 'verified');
  assert.equal(check(section([])).verdict, 'verified');
});

test('defineOracle: an unknown oracle is a spec error; a name is defined once', () => {
  assert.throws(() => section([], ['at-most-two']), /^Error: oracles\[0\]: unknown oracle 'at-most-two' \(defined with defineOracle: at-most-one-inside\)$/);
  assert.throws(() => defineOracle('at-most-one-inside', () => null), /already defined/);
});

// --- WARN_ON inside a path: the pte must not change while we hold its lock -----------------

definePatch({ name: 'pte-stable-unlocked', title: 'pte_stable: re-read the pte after dropping the pte lock', effect: 'the second read is not under the lock' });

/** Reads the pte of addr twice and warns if it changed: under the pte lock nothing can change
 * it; with the second read after pte_unmap_unlock, a concurrent zap can. */
const pte_stable = kfunc('pte_stable', function* (k: Ctx, addr: number): Program<void> {
  const pmdp = yield* mm_find_pmd(k, addr);
  if (!pmdp) return;
  const m = yield* pte_offset_map_lock(k, pmdp, addr);
  if (!m) return;
  const pte = yield* ptep_get(k, m.ptep);
  const unlocked = k.kernel.has('pte-stable-unlocked');
  if (unlocked) yield* pte_unmap_unlock(k, m.ptl);
  WARN_ON(pte !== (yield* ptep_get(k, m.ptep)), '!pte_same(pte, ptep_get(ptep))');
  if (!unlocked) yield* pte_unmap_unlock(k, m.ptl);
});

definePath('pte_stable', {
  description: 'read the pte of addr twice under its lock; WARN_ON if it changed',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void env.requireRange(a.addr, 1, ['addr']),
  run: (c, a) => pte_stable(c, a.addr),
});

const ptes = (patches: string[]) =>
  defineScenario({
    id: 'test/pte-stable',
    arch: 'x86-64',
    kernel: 'v6.12',
    patches,
    // 'below' shares A's pte table, so munmap of A frees A's page but not the table
    map: [{ 'anon-small': { at: 0, pages: 1, name: 'below' } }, { 'anon-small': { at: 0x1000, pages: 1, name: 'A' } }],
    setup: [{ 'vma-tree': {} }],
    cpus: [[{ alloc_page: {} }, { pte_stable: { addr: 0x1000 } }], { munmap: { addr: 0x1000 } }],
  });

test('WARN_ON in a path: fires only when munmap zaps the pte between the two reads, reported as its own property', () => {
  const r = check(ptes(['+pte-stable-unlocked']));
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'WARN_ON(!pte_same(pte, ptep_get(ptep)))');
  const cx = r.trace!;
  assert.equal(cx.violation.message, 'cpu0 [pte_stable (2/2)]: WARN_ON(!pte_same(pte, ptep_get(ptep))) fired');
  // the pte reads of pte_stable straddle munmap's clearing of it
  const reads = cx.steps.filter((x) => x.cpu === 0 && x.fn === 'pte_stable' && x.op === 'load' && x.target.startsWith('pte['));
  const zap = cx.steps.find((x) => x.cpu === 1 && x.op === 'xchg' && x.target.startsWith('pte['))!;
  assert.equal(reads.length, 2);
  assert.ok(reads[0].index < zap.index && zap.index < reads[1].index);
  assert.equal(reads[1].index, cx.violation.step);
  // under the lock the zap waits: the warning never fires (and run alone it never did: check
  // would have thrown, a violation with no race being a scenario error)
  assert.equal(check(ptes([])).verdict, 'verified');
});

test('WARN_ON, VM_BUG_ON and the others: false when the condition is false, a Violation of their own property otherwise', () => {
  assert.equal(WARN_ON(false, 'x'), false);
  assert.equal(VM_BUG_ON(false, 'x'), false);
  assert.throws(
    () => VM_BUG_ON(true, 'folio_ref_count(folio) == 0'),
    (e: unknown) => e instanceof Violation && e.property === 'VM_BUG_ON(folio_ref_count(folio) == 0)' && e.message === 'VM_BUG_ON(folio_ref_count(folio) == 0) fired',
  );
});
