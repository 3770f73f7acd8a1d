/** Scenario files and the registry: the examples load and match their catalog rows; the
 * collapse family is built from the registry; file:line:col errors. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { check } from '../src/explore/check.js';
import { findScenario } from '../src/scenarios/catalog.js';
import { InputError, loadScenarioFile } from '../src/scenarios/file.js';
import { LAYOUTS, PATHS, SpecError } from '../src/scenarios/paths.js';
import { defineScenario } from '../src/api.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-file-'));

test('registry: every family path and layout is registered once', () => {
  assert.deepEqual([...LAYOUTS.keys()].sort(), ['anon-small', 'anon-thp', 'dev-dax']);
  for (const p of ['gup_fast', 'khugepaged_collapse', 'kswapd', 'alloc_page', 'deferred_split', 'mincore', 'hmm_range_fault', 'dev_dax_touch', 'madvise_dontneed', 'munmap_then_reuse', 'munmap', 'mmap_fixed', 'page_fault']) assert.ok(PATHS.has(p), p);
});

const SAME: Array<[string, string]> = [
  ['collapse.yaml', 'collapse/arm64-no-recheck'],
  ['reclaim.yaml', 'reclaim/arm64-no-pte-recheck'],
  ['split.yaml', 'split/pte-mapped-arm64-no-folio-recheck'],
  ['seqcount.yaml', 'seqcount/collapse-late-bump'],
  ['pud-walk.yaml', 'pud-walk/rereads'],
  ['rcu-free.yaml', 'rcu-free/arm64-no-rcu-table-free'],
  ['mmap-overlap.yaml', 'mmap-overlap/fault-no-detached-check'],
  ['pae-tear.yaml', 'pae-tear/pmd-plain-read'],
];

for (const [file, id] of SAME) {
  test(`examples/${file} explores exactly like ${id}`, () => {
    const s = loadScenarioFile(join(ROOT, 'examples', file));
    const a = check(s, { noMinimize: true });
    const b = check(findScenario(id)!, { noMinimize: true });
    assert.equal(a.verdict, s.expect);
    assert.deepEqual([a.verdict, a.property, a.executions], [b.verdict, b.property, b.executions]);
    assert.deepEqual(a.trace!.schedule, b.trace!.schedule);
  });
}

test('the collapse family builds from the registry, with extra walker CPUs and a larger geometry', () => {
  const base = findScenario('collapse/arm64-no-recheck')!;
  const r = check({ ...base, config: { ...base.config, cpus: 3 } }, { noMinimize: true });
  assert.equal(r.verdict, 'violated');
  const g = check({ ...base, config: { ...base.config, geometry: { bits: { pgd: 1, p4d: 0, pud: 1, pmd: 1, pte: 3 } } } }, { noMinimize: true });
  assert.equal(g.verdict, 'violated');
});

test('with their fixes the examples explore exactly like the verified rows', () => {
  const pairs: Array<[string, Parameters<typeof loadScenarioFile>[1], string]> = [
    ['rcu-free.yaml', { arch: 'arm64' }, 'rcu-free/arm64-rcu-table-free'],
    ['mmap-overlap.yaml', { patches: ['+vma-detached-check'] }, 'mmap-overlap/fault-detached-check'],
    ['pae-tear.yaml', { kernel: 'v6.6' }, 'pae-tear/pmd-lockless'],
  ];
  for (const [file, o, id] of pairs) {
    const a = check(loadScenarioFile(join(ROOT, 'examples', file), o));
    const b = check(findScenario(id)!);
    assert.deepEqual([a.verdict, a.executions, a.sleepBlocked], [b.verdict, b.executions, b.sleepBlocked], file);
  }
});

test('a path that needs the VMA tree says so; a spare VMA must be named', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-vma-'));
  const p = join(dir, 'novma.yaml');
  writeFileSync(p, 'arch: arm64\nkernel: v6.12\nmap: anon-small at 0x4000 pages 1\ncpus:\n  - page_fault: {addr: 0x4000}\n');
  assert.throws(() => loadScenarioFile(p), /novma\.yaml:5:24: cpus\[0\]\.page_fault\.addr: this path needs the VMA tree: add 'setup: \[vma-tree\]' after map/);
  const q = join(dir, 'nospare.yaml');
  writeFileSync(q, 'arch: arm64\nkernel: v6.12\nmap: anon-small at 0x4000 pages 1\nsetup: [vma-tree]\ncpus:\n  - mmap_fixed: {addr: 0x4000, vma: B}\n');
  assert.throws(() => loadScenarioFile(q), /nospare\.yaml:6:37: cpus\[0\]\.mmap_fixed\.vma: no VMA named 'B'/);
});

test('overrides: --arch/--kernel replace, --patch appends; an override error names the flag', () => {
  const s = loadScenarioFile(join(ROOT, 'examples/collapse.yaml'), { arch: 'x86-64', kernel: 'v6.1', patches: ['-gup-pmd-recheck'] });
  assert.deepEqual(s.config, { arch: 'x86-64', kernel: 'v6.1', patches: ['-gup-pmd-recheck'] });
  assert.throws(() => loadScenarioFile(join(ROOT, 'examples/reclaim.yaml'), { patches: ['+nope'] }), (e: Error) => e instanceof InputError && /^--patch: unknown patch 'nope'/.test(e.message));
});

test('compact forms: a single map entry, the one-line layout, a bare path name, patches as a string', () => {
  const p = join(TMP, 'compact.yaml');
  writeFileSync(p, 'arch: arm64\nkernel: v6.6\npatches: -gup-pte-recheck\nmap: anon-small at 0x4000 pages 1 swapcache exclusive\ncpus: [{gup_fast: {addr: 0x4000}}, {kswapd: {addr: 0x4000}}, alloc_page]\n');
  const s = loadScenarioFile(p);
  assert.equal(s.id, 'file/compact');
  assert.equal(check(s, { noMinimize: true }).executions, check(findScenario('reclaim/arm64-no-pte-recheck')!, { noMinimize: true }).executions);
});

test('typed spec errors are SpecErrors naming the field', () => {
  assert.throws(
    () => defineScenario({ arch: 'arm64', kernel: 'v5.19', map: [{ 'anon-small': { at: 0x4000 } }], cpus: [{ gup_fast: { addr: 0x3000 } }] }),
    (e: Error) => e instanceof SpecError && e.path.join('.') === 'cpus.0.gup_fast.addr' && /not inside one mapped region/.test(e.message),
  );
});
