/** The pud-walk family: verdicts, the shape of the race, replay, and the probes' findings. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { explore } from '../src/explore/dpor.js';
import { Execution, replay } from '../src/explore/runtime.js';
import { commitMessage } from '../src/explore/commit.js';
import { renderTable } from '../src/explore/trace.js';
import { entryPfn, leaf } from '../src/machine/mmu.js';
import { pud_devmap } from '../src/kernel/mm/huge_memory.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import { pudWalk, pudWalkProbes } from '../src/scenarios/pud-walk.js';
import { flipped } from '../src/scenarios/scenario.js';
import { bootFor, makeWorld } from '../src/scenarios/world.js';
import { mapAnonSmall } from '../src/kernel/boot.js';
import { mmap_read_lock, mmap_read_unlock } from '../src/kernel/mm/mmap_lock.js';
import { type MmWalkOps, walk_page_range } from '../src/kernel/mm/pagewalk.js';
import { READ_ONCE } from '../src/kernel/mm/pgtable.js';

const byId = (id: string) => [...pudWalk, ...pudWalkProbes].find((s) => s.id === id)!;

/** Probes whose clean search runs no race: hmm's pud_entry handles the leaf, the 2020 walker
 * never splits and nothing refaults, so no write meets the walker's reads (DESIGN §4: vacuous). */
const VACUOUS = new Set(['pud-walk/rereads-pud-entry']);

for (const s of [...pudWalk, ...pudWalkProbes]) {
  const expected = VACUOUS.has(s.id) ? 'vacuous' : s.expect;
  test(`${s.id}: ${expected}`, () => {
    const r = check(s);
    assert.equal(r.verdict, expected);
    assert.equal(r.budget, null, 'the search must be exhaustive');
    assert.equal(r.cutAtBound, 0, 'no execution reaches the ACTION_AGAIN bound');
    if (s.expect === 'verified') assert.equal(r.trace, null);
    if (expected === 'verified') assert.ok(r.coverage.bothOrders > 0);
    else if (expected === 'violated') assert.equal(r.property, 'pt-uaf');
  });
}

test('the catalog has the three pud-walk rows, not the probes', () => {
  const ids = CATALOG.filter((s) => s.family === 'pud-walk').map((s) => s.id);
  assert.deepEqual(ids, ['pud-walk/rereads', 'pud-walk/ptdump-rereads', 'pud-walk/ptdump-read-once']);
  assert.deepEqual(byId('pud-walk/ptdump-read-once').config.patches, ['+pagewalk-pud-read-once']);
  assert.deepEqual(byId('pud-walk/ptdump-rereads').config.patches, []);
});

const pudLoad = (x: { op: string; target: string }) => x.op === 'load' && /^pud\[/.test(x.target);

for (const id of ['pud-walk/rereads', 'pud-walk/rfc-pmd-entry']) {
  test(`${id}: the split zaps the huge pud, the fault refills it, the walker's re-read sees it and reads the device page as a pmd table`, () => {
    const r = check(byId(id));
    const t = r.trace!;
    const steps = t.steps;
    assert.match(t.violation.message, /^cpu0: reads device page (\d+) as a pmd table$/);
    const dev = Number(/device page (\d+)/.exec(t.violation.message)![1]);
    const walker = steps.filter((x) => x.threadName === 'cpu0');
    // the walker's first pud read (pud_none) saw the huge devmap pud
    const first = walker.find(pudLoad)!;
    assert.equal(first.fn, 'walk_pud_range');
    assert.ok(leaf(first.read as number) && pud_devmap(first.read as number), 'the first pud_none read saw the huge pud');
    const zap = steps.findIndex((x) => x.fn === 'pudp_huge_clear_flush' && x.op === 'xchg');
    assert.ok(zap >= 0 && steps[zap].wrote === 0, 'split_huge_pud zapped the pud');
    const faultRead = steps.findIndex((x) => x.threadName === 'cpu1' && x.fn === '__handle_mm_fault' && pudLoad(x) && x.read === 0);
    const install = steps.findIndex((x) => x.fn === 'insert_pfn_pud' && x.op === 'store' && /^pud\[/.test(x.target));
    assert.ok(faultRead > zap && install > faultRead, 'the fault saw the pud none after the zap, then installed the huge pud');
    assert.equal(entryPfn(steps[install].wrote as number), dev);
    // after the install the walker re-reads the pud, sees the huge pud, and derives a pmd table from it
    const reread = steps.findIndex((x, i) => i > install && x.threadName === 'cpu0' && pudLoad(x));
    assert.ok(reread > install, 'the walker re-read the pud after the install');
    assert.equal(steps[reread].read, steps[install].wrote, 'that re-read saw the huge pud');
    const last = steps[steps.length - 1];
    assert.equal(last.threadName, 'cpu0');
    assert.equal(last.fn, 'walk_pmd_range');
    assert.equal(last.target, `frame ${dev} (device) +0`, 'pmd_none(*pmd) read the device page');
    if (id === 'pud-walk/rereads') {
      // 2020 form: pud_none(*pud) after the split, then pmd_offset(pud) re-reads it again
      const after = steps.slice(install + 1).filter((x) => x.threadName === 'cpu0' && pudLoad(x)).map((x) => x.fn);
      assert.deepEqual(after, ['walk_pud_range', 'walk_pmd_range']);
    } else {
      // RFC: one READ_ONCE after the split; walk_pmd_range derives the table from that value
      const after = steps.slice(install + 1).filter((x) => x.threadName === 'cpu0' && pudLoad(x)).map((x) => x.fn);
      assert.deepEqual(after, ['walk_pud_range']);
    }
    assert.equal(t.preemptions, 1, 'minimal: one preemption (the walker blocks in the flush IPI wait; the other switch is free)');
  });

  test(`${id}: the counterexample replays to the same violation`, () => {
    const s = byId(id);
    const r = check(s);
    const again = replay(s.build(s.config), r.trace!.schedule);
    assert.deepEqual(again.violation, r.trace!.violation);
    assert.deepEqual(again.trace.map((x) => [x.threadName, x.op, x.target]), r.trace!.steps.map((x) => [x.threadName, x.op, x.target]));
  });
}

test('the 2020 walker\'s *pud loads in order: pud_none, the split macro (2), the locked recheck (2), pud_none, pmd_offset', () => {
  // with the split path taken: R1, the macro's two tests, two locked rechecks, R6, R7
  const r = check(byId('pud-walk/rereads'));
  const fns = r.trace!.steps.filter((x) => x.threadName === 'cpu0' && pudLoad(x)).map((x) => x.fn);
  assert.deepEqual(fns, ['walk_pud_range', 'split_huge_pud', 'split_huge_pud', '__split_huge_pud', '__split_huge_pud', 'walk_pud_range', 'walk_pmd_range']);
});

test('explain names the kernel functions of the race', () => {
  const s = byId('pud-walk/rereads');
  const r = check(s);
  const table = renderTable(r.trace!);
  for (const fn of ['walk_pud_range', 'split_huge_pud', 'pudp_huge_clear_flush', '__handle_mm_fault', 'insert_pfn_pud', 'walk_pmd_range', 'PT-UAF'])
    assert.ok(table.includes(fn), `table mentions ${fn}`);
  const commit = commitMessage(r.trace!, { world: () => s.build(s.config) }).split('\n');
  for (const line of commit) assert.ok(line.length <= 72, `the commit format fits 72 columns: ${line}`);
});

test('pud-walk/rfc-hmm-zap: after the zap, pud_trans_huge_lock finds no huge pud, the callback returns before its recheck, and the READ_ONCE after split_huge_pud sees the refault', () => {
  const r = check(byId('pud-walk/rfc-hmm-zap'));
  const steps = r.trace!.steps;
  assert.match(r.trace!.violation.message, /^cpu0: reads device page \d+ as a pmd table$/);
  const zap = steps.findIndex((x) => x.fn === 'zap_huge_pud' && x.op === 'xchg');
  assert.ok(zap >= 0, 'MADV_DONTNEED zapped the huge pud');
  const lockRead = steps.findIndex((x, i) => i > zap && x.threadName === 'cpu0' && x.fn === 'pud_trans_huge_lock' && pudLoad(x));
  assert.ok(lockRead > zap && steps[lockRead].read === 0, "hmm_vma_walk_pud's pud_trans_huge_lock read the zapped pud");
  assert.ok(!steps.some((x) => x.notes.some((n) => /ACTION_AGAIN/.test(n))), 'the recheck under the lock never ran');
  const install = steps.findIndex((x) => x.fn === 'insert_pfn_pud' && x.op === 'store');
  const reread = steps.findIndex((x, i) => i > install && x.threadName === 'cpu0' && pudLoad(x));
  assert.ok(install > lockRead && reread > install, 'the refault landed before the walker read the pud again');
  assert.equal(steps[reread].fn, 'walk_pud_range');
  assert.equal(steps[reread].read, steps[install].wrote);
  assert.equal(steps[steps.length - 1].fn, 'walk_pmd_range');
});

test("pud-walk/rfc-hmm-zap: the RFC's recheck under the pud lock catches a zap + refault between the READ_ONCE and the callback (ACTION_AGAIN)", () => {
  // A directed schedule: the walker reads the pud once; the zap and the refault (a read fault:
  // a different pud value) run to completion; then the walker goes on.
  const s = byId('pud-walk/rfc-hmm-zap');
  const exec = new Execution(s.build(s.config), true);
  const walkerTask = exec.threads.find((t) => t.name === 'cpu0')!;
  const stepWhere = (ok: (name: string) => boolean) => {
    const tid = exec.enabled().find((t) => ok(exec.threads[t].name));
    assert.ok(tid !== undefined, 'a thread can run');
    exec.step(tid);
  };
  while (!exec.trace.some((x) => x.threadName === 'cpu0' && pudLoad(x))) stepWhere((n) => n === 'cpu0');
  const others = () => exec.threads.some((t) => (t.name === 'cpu1' || t.name === 'cpu2') && t.pending !== null);
  while (others()) stepWhere((n) => n !== 'cpu0');
  while (exec.live && exec.enabled().length) stepWhere(() => true);
  exec.finish();
  assert.equal(exec.violation, null);
  assert.equal(exec.cut, null);
  const notes = exec.trace.flatMap((x) => x.notes);
  assert.ok(notes.includes('pud changed since the walker read it: ACTION_AGAIN'));
  const first = exec.trace.find((x) => x.threadName === 'cpu0' && pudLoad(x))!;
  const install = exec.trace.find((x) => x.fn === 'insert_pfn_pud' && x.op === 'store')!;
  assert.notEqual(first.read, install.wrote, 'the refault installed a different pud value (a read fault: not dirty)');
  const pfns = walkerTask.result as number[];
  const dev = entryPfn(install.wrote as number);
  assert.deepEqual(pfns, Array.from({ length: pfns.length }, (_, i) => dev + i), 'hmm reports the refaulted leaf after retrying');
});

test('the verified pud-walk worlds hold under naive enumeration of every schedule too', () => {
  for (const id of ['pud-walk/first-fault', 'pud-walk/rereads-pud-entry']) {
    const s = byId(id);
    const r = explore(() => s.build(s.config), { reduction: 'none' });
    assert.equal(r.verdict, 'verified', id);
    assert.equal(r.budget, undefined, id);
  }
});

test('walk_page_range descends through a real pud and pmd table to pte_entry (a single-threaded walk of small anon pages)', () => {
  const config = { arch: 'x86-64', kernel: 'v5.8', patches: [] };
  for (const patches of [[], ['+pagewalk-pud-read-once']]) {
    const k = bootFor({ ...config, patches }, { cpus: 1, mmCpus: [0] });
    const g = k.machine.geometry;
    const start = g.size(3);
    const pfns = mapAnonSmall(k, start, g.entries(1));
    const seen: number[] = [];
    const ops: MmWalkOps = {
      name: 'test_walk_ops',
      pte_entry: function* (c, ptep) {
        seen.push(entryPfn(yield* READ_ONCE(c, ptep)));
        return 0;
      },
    };
    const world = makeWorld(k, [
      {
        name: 'cpu0',
        cpu: 0,
        run: function* (c) {
          yield* mmap_read_lock(c);
          yield* walk_page_range(c, start, start + g.size(2), ops, null);
          yield* mmap_read_unlock(c);
        },
      },
    ]);
    const exec = new Execution(world, true);
    while (exec.live && exec.enabled().length) exec.step(exec.enabled()[0]);
    exec.finish();
    assert.equal(exec.violation, null, String(patches));
    assert.deepEqual(seen, pfns, String(patches));
  }
});

// The RFC's question: a walk with no VMA (ptdump) against MADV_DONTNEED + a refault.
const ptdumpRereads = (() => {
  let r: ReturnType<typeof check> | undefined;
  return () => (r ??= check(byId('pud-walk/ptdump-rereads')));
})();

test('pud-walk/ptdump-read-once: verified over real races: the walker\'s one pud read lands before the zap, between the zap and the refault, and after the refault', () => {
  const s = byId('pud-walk/ptdump-read-once');
  const seen = new Set<string>();
  const r = explore(() => s.build(s.config), {
    reduction: 'optimal',
    onExecution: (_e, schedule) => {
      const trace = replay(s.build(s.config), schedule).trace; // exploration does not record steps
      const read = trace.findIndex((x) => x.threadName === 'cpu0' && pudLoad(x) && x.fn === 'walk_pud_range');
      const zap = trace.findIndex((x) => x.fn === 'zap_huge_pud' && x.op === 'xchg');
      const install = trace.findIndex((x) => x.fn === 'insert_pfn_pud' && x.op === 'store');
      assert.ok(read >= 0 && zap >= 0 && install > zap);
      seen.add(read < zap ? 'before the zap' : read < install ? 'between' : 'after the refault');
    },
  });
  assert.equal(r.verdict, 'verified');
  assert.equal(r.budget, undefined);
  assert.ok(r.executions >= 50, `many interleavings (${r.executions})`);
  assert.deepEqual([...seen].sort(), ['after the refault', 'before the zap', 'between']);
});

test('pud-walk/ptdump-read-once: reverting the RFC (its flip) turns it violated: the walker takes the refilled huge pud for a pmd table', () => {
  const s = byId('pud-walk/ptdump-read-once');
  const f = flipped(s);
  assert.deepEqual(f.config.patches, ['+pagewalk-pud-read-once', '-pagewalk-pud-read-once']);
  const r = check(f);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'pt-uaf');
  const same = ptdumpRereads();
  assert.deepEqual(r.trace!.steps.map((x) => [x.threadName, x.fn, x.op, x.target]), same.trace!.steps.map((x) => [x.threadName, x.fn, x.op, x.target]), 'the flip is the ptdump-rereads row');
});

test('pud-walk/ptdump-rereads: the 2020 no-VMA walker reads *pud for pud_none (huge), pud_leaf (zapped: none), pud_present (refaulted), pud_none and pmd_offset (huge)', () => {
  const r = ptdumpRereads();
  assert.equal(r.verdict, 'violated');
  const t = r.trace!;
  const steps = t.steps;
  assert.match(t.violation.message, /^cpu0: reads device page (\d+) as a pmd table$/);
  const dev = Number(/device page (\d+)/.exec(t.violation.message)![1]);
  const walkerPud = steps.filter((x) => x.threadName === 'cpu0' && pudLoad(x));
  assert.deepEqual(
    walkerPud.map((x) => x.fn),
    ['walk_pud_range', 'ptdump_pud_entry', 'walk_pud_range', 'walk_pud_range', 'walk_pud_range', 'walk_pmd_range'],
    'R1 pud_none, the callback\'s READ_ONCE, pud_leaf, pud_present, pud_none, pmd_offset: no split_huge_pud without a VMA',
  );
  const [r1, cb, leafRead, presentRead, r6, r7] = walkerPud;
  const zap = steps.findIndex((x) => x.fn === 'zap_huge_pud' && x.op === 'xchg');
  const install = steps.findIndex((x) => x.fn === 'insert_pfn_pud' && x.op === 'store');
  assert.ok(zap >= 0 && install > zap, 'MADV_DONTNEED zapped the pud, the touch refaulted it');
  assert.ok(steps[zap].threadName === 'cpu1' && steps[install].threadName === 'cpu1');
  assert.ok(leaf(r1.read as number) && pud_devmap(r1.read as number) && r1.read === cb.read, 'R1 and the callback saw the old huge pud');
  assert.ok(steps.indexOf(cb) < zap && zap < steps.indexOf(leafRead) && leafRead.read === 0, 'pud_leaf(*pud) read the zapped pud');
  assert.ok(steps.indexOf(presentRead) > install && presentRead.read === steps[install].wrote, '!pud_present(*pud) read the refaulted pud');
  assert.equal(r6.read, steps[install].wrote);
  assert.equal(r7.read, steps[install].wrote, 'pmd_offset re-read the refaulted huge pud');
  assert.equal(entryPfn(steps[install].wrote as number), dev);
  const last = steps[steps.length - 1];
  assert.equal(last.fn, 'walk_pmd_range');
  assert.equal(last.target, `frame ${dev} (device) +0`);
  assert.ok(t.preemptions >= 1, 'a race: the walker is preempted');
});
