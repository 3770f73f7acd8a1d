/**
 * Scenario files where a CPU runs a sequence of paths (`- [munmap: {...}, alloc_page]`), where
 * CPUs state their roles (`{role, run}`), with three or four CPUs; the trace, the table and the
 * viewer mark where each path of a sequence starts; errors name the element at fault.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SpecError, check, defineScenario, loadScenarioFile, renderTable } from '../src/api.js';
import { bundleFromResult } from '../src/ui/bundle.js';

const TMP = mkdtempSync(join(tmpdir(), 'mmrace-seq-'));
after(() => rmSync(TMP, { recursive: true, force: true }));
function file(name: string, text: string): string {
  const f = join(TMP, name);
  writeFileSync(f, text);
  return f;
}

const LAYOUT = `map:
  - anon-small at 0x0 pages 1 name below
  - anon-small at 0x4000 pages 1 name A
setup: [vma-tree]
`;

/** munmap frees A's pte table, then alloc_page hands the frame to another owner: a GUP-fast
 * that read the pmd before reads the reused frame unless the table free waits for it. */
const SEQ = file(
  'seq.yaml',
  `question: Can GUP-fast read a page table that munmap freed and another owner reused?
arch: arm64-no-rcu-table-free
kernel: v6.12
${LAYOUT}cpus:
  - gup_fast: {addr: 0x4000}
  - role: unmaps A, then another owner allocates
    run: [munmap: {addr: 0x4000}, alloc_page]
`,
);

test('a sequence: CPU 1 runs munmap, then alloc_page; the reuse by the second path is what breaks GUP-fast', () => {
  const s = loadScenarioFile(SEQ);
  const r = check(s);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'pt-uaf');
  const steps = r.trace!.steps;
  // every step of CPU 1 belongs to one element, munmap's before alloc_page's; CPU 0 runs one path, unmarked
  const cpu1 = steps.filter((x) => x.cpu === 1).map((x) => x.path);
  assert.ok(cpu1.length > 0 && cpu1.every((p) => p === 'munmap (1/2)' || p === 'alloc_page (2/2)'), cpu1.join());
  assert.equal(cpu1.indexOf('alloc_page (2/2)'), cpu1.lastIndexOf('munmap (1/2)') + 1);
  assert.ok(steps.some((x) => x.path === 'alloc_page (2/2)' && x.op === 'alloc' && x.stack.join() === 'another_owner,alloc_pages'));
  assert.ok(steps.filter((x) => x.cpu === 0).every((x) => x.path === undefined));
  // the table: a row where each path starts, in CPU 1's column, and CPU 1's role under its name
  const table = renderTable(r.trace!, { width: 120 }).split('\n');
  const at = (text: string) => table.findIndex((l) => l.split(' | ')[1]?.trim() === text);
  assert.ok(at('>> munmap (1/2)') > 0 && at('>> alloc_page (2/2)') > at('>> munmap (1/2)'), table.join('\n'));
  assert.match(table[1], /^ +\| unmaps A, then another owner allocates$/);
  // the viewer: each step knows its path, and the column is labelled with the role
  const b = bundleFromResult(s, r);
  const t = b.traces[0];
  assert.deepEqual(t.columns.map((c) => c.label), ['CPU 0', 'CPU 1 · unmaps A, then another owner allocates']);
  assert.deepEqual([...new Set(t.steps.filter((x) => x.cpu === 1).map((x) => x.path))], ['munmap (1/2)', 'alloc_page (2/2)']);
  // where tables are freed after a grace period, the same sequence is safe
  assert.equal(check(loadScenarioFile(SEQ, { arch: 'arm64' })).verdict, 'verified');
});

test('four CPUs, each with its role stated: the roles label the trace, and the verdict follows the arch', () => {
  const f = file(
    'four.yaml',
    `question: Can GUP-fast read a page table that munmap freed, while other CPUs allocate and pin?
arch: arm64-no-rcu-table-free
kernel: v6.12
${LAYOUT}cpus:
  - {role: a DMA user pinning A, run: {gup_fast: {addr: 0x4000}}}
  - {role: the process unmapping A, run: {munmap: {addr: 0x4000}}}
  - {role: another owner allocating, run: alloc_page}
  - {role: a second DMA user on below, run: {gup_fast: {addr: 0x0, flags: [FOLL_GET]}}}
`,
  );
  const s = loadScenarioFile(f);
  const world = s.build(s.config);
  assert.deepEqual(world.programs.map((p) => [p.cpu, p.path, p.role]), [
    [0, 'gup_fast', 'a DMA user pinning A'],
    [1, 'munmap', 'the process unmapping A'],
    [2, 'alloc_page', 'another owner allocating'],
    [3, 'gup_fast', 'a second DMA user on below'],
  ]);
  const r = check(s);
  assert.equal(r.verdict, 'violated');
  assert.equal(r.property, 'pt-uaf');
  const roles: Record<number, string> = r.trace!.roles ?? {};
  assert.deepEqual({ ...roles }, { 0: 'a DMA user pinning A', 1: 'the process unmapping A', 2: 'another owner allocating', 3: 'a second DMA user on below' });
  const header = renderTable(r.trace!, { width: 160 }).split('\n').slice(0, 2);
  for (const cpu of new Set(r.trace!.steps.map((x) => x.cpu))) {
    assert.ok(header[0].includes(`CPU ${cpu}`));
    assert.ok(header[1].includes(roles[cpu]), `${cpu}: ${header[1]}`);
  }
  const safe = check(loadScenarioFile(f, { arch: 'arm64' }));
  assert.equal(safe.verdict, 'verified');
});

test('errors name the element of a sequence at fault: file:line:col, its index and its path', () => {
  const bad = (name: string, cpus: string) => () => loadScenarioFile(file(name, `arch: arm64\nkernel: v6.12\n${LAYOUT}cpus:\n  - gup_fast: {addr: 0x4000}\n${cpus}`));
  const cases: Array<[string, RegExp]> = [
    ['  - [munmap: {addr: 0x4000}, page_fault: {addr: 0x4000, write: true}]\n', /:9:57: cpus\[1\]\[1\]\.page_fault\.write \(path 2 of 2 on CPU 1: page_fault\): unknown argument 'write' \(expected addr\)$/],
    ['  - [munmap: {addr: 0x4000}, kswapd: {addr: 0x4000}]\n', /:9:45: cpus\[1\]\[1\]\.kswapd\.addr \(path 2 of 2 on CPU 1: kswapd\): kswapd and munmap over \[0x4000, 0x5000\)/],
    ['  - role: the reclaimer\n    run:\n      - alloc_page\n      - kswap: {addr: 0x4000}\n', /:12:9: cpus\[1\]\.run\[1\]\.kswap \(path 2 of 2 on CPU 1: kswap\): unknown path 'kswap' \(known: /],
    ['  - [alloc_page, [alloc_page]]\n', /:9:18: cpus\[1\]\[1\] \(path 2 of 2 on CPU 1\): a sequence cannot hold another sequence/],
    ['  - []\n', /:9:5: cpus\[1\]: expected at least one path in the sequence$/],
    ['  - {role: 3, run: alloc_page}\n', /:9:12: cpus\[1\]\.role: expected a few words saying what this CPU does$/],
    ['  - {role: x, run: alloc_page, then: alloc_page}\n', /:9:32: cpus\[1\]\.then: unknown field 'then' of a \{role, run\} entry \(expected role and run\)$/],
    ['  - {role: x}\n', /:9:5: cpus\[1\]: missing run: the path, or the list of paths, this CPU runs$/],
    ['  - 42\n', /:9:5: cpus\[1\]: expected \{path: \{args\}\}, a path name, a list of them \(run in order\), or \{role, run\}, not 42$/],
  ];
  cases.forEach(([cpus, want], i) => assert.throws(bad(`bad${i}.yaml`, cpus), (e: Error) => want.test(e.message) || assert.fail(e.message)));
});

test('the typed API takes the same forms, and names the element at fault', () => {
  const spec = {
    arch: 'arm64',
    kernel: 'v6.12',
    map: [{ 'anon-small': { at: 0, pages: 1, name: 'below' } }, { 'anon-small': { at: 0x4000, pages: 1, name: 'A' } }],
  };
  const s = defineScenario({ ...spec, setup: [{ 'vma-tree': {} }], cpus: [{ gup_fast: { addr: 0x4000 } }, { role: 'unmapper', run: [{ munmap: { addr: 0x4000 } }, 'alloc_page'] }] });
  assert.deepEqual(s.build(s.config).programs.map((p) => p.path), ['gup_fast', 'munmap, alloc_page']);
  assert.throws(
    () => defineScenario({ ...spec, setup: [{ 'vma-tree': {} }], cpus: [{ gup_fast: { addr: 0x4000 } }, [{ munmap: { addr: 0x4000 } }, { page_fault: { addr: 0x20000 } }]] }),
    (e: Error) => e instanceof SpecError && e.path.join('.') === 'cpus.1.1.page_fault.addr' && /^cpus\[1\]\[1\]\.page_fault\.addr \(path 2 of 2 on CPU 1: page_fault\): 0x20000 is outside the address space/.test(e.message),
  );
});
