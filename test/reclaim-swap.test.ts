/**
 * Issue 11 §1: kswapd on a plain anonymous page (not in the swap cache). shrink_folio_list
 * first gives it a swap slot and adds it to the swap cache (add_to_swap at v6.6,
 * folio_alloc_swap + swap_cache_add_folio at v6.18), so __remove_mapping's freeze counts a
 * reference the page has: no false race. Also the paths' checks that reject what they do not model.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { check } from '../src/explore/check.js';
import { Execution, replay } from '../src/explore/runtime.js';
import { InputError, loadScenarioFile } from '../src/scenarios/file.js';
import { mk_swap_pte } from '../src/kernel/mm/pgtable.js';
import { PG_anon_exclusive, PG_swapcache } from '../src/kernel/mm/mm_types.js';
import { SWAP_HAS_CACHE, entryFor } from '../src/kernel/boot.js';
import { PTE, _PAGE_DIRTY } from '../src/machine/mmu.js';
import { Env, LAYOUTS } from '../src/scenarios/paths.js';
import { bootFor, makeWorld } from '../src/scenarios/world.js';
import { isolate_lru_folios } from '../src/kernel/mm/vmscan.js';

const TMP = mkdtempSync(join(tmpdir(), 'mmrace-reclaim-swap-'));
let n = 0;
function file(text: string) {
  const p = join(TMP, `s${n++}.yaml`);
  writeFileSync(p, text);
  return loadScenarioFile(p);
}

const FLAGS = { get: '[FOLL_GET]', pin: '[FOLL_PIN, FOLL_WRITE]' };
/** The issue's scenario: a plain page (no swapcache), GUP-fast and kswapd, optionally another owner. */
function issue(flags: string, cpus: 2 | 3, head = 'arch: x86-64\nkernel: v6.18\n') {
  const third = cpus === 3 ? '  - alloc_page: {}\n' : '';
  return file(`${head}map: anon-small at 0x4000 pages 1\ncpus:\n  - gup_fast: {addr: 0x4000, pages: 1, flags: ${flags}}\n  - kswapd: {addr: 0x4000}\n${third}`);
}

for (const [name, flags] of Object.entries(FLAGS))
  for (const cpus of [2, 3] as const)
    test(`issue 11 scenario, ${name}, ${cpus} CPUs: verified after a real search`, () => {
      const r = check(issue(flags, cpus), { noMinimize: true });
      assert.equal(r.verdict, 'verified');
      assert.equal(r.budget, null);
      // GUP-fast and kswapd interleave: well over a hundred traces (222 .. 3383 at this writing)
      assert.ok(r.executions > 100, `only ${r.executions} executions`);
    });

/** Step the kswapd thread (cpu1) whenever it can run, else any other; returns the execution. */
function kswapdFirst(s: ReturnType<typeof issue>): Execution {
  const exec = replay(s.build(s.config), []);
  while (exec.live && exec.enabled().length) {
    const en = exec.enabled();
    const k = exec.threads.find((t) => t.name === 'cpu1' && en.includes(t.id));
    exec.step(k ? k.id : en[0]);
  }
  exec.finish();
  return exec;
}

for (const kernel of ['v6.6', 'v6.18'])
  test(`kswapd alone (${kernel}): swap slot, swap cache, the slot's entry in the pte, pageout, free`, () => {
    const s = issue(FLAGS.get, 2, `arch: x86-64\nkernel: ${kernel}\n`);
    const exec = kswapdFirst(s);
    assert.equal(exec.violation, null);
    const k = exec.trace.filter((x) => x.threadName === 'cpu1');
    const at = (pred: (x: (typeof k)[number]) => boolean) => k.findIndex(pred);
    const adder = kernel === 'v6.18' ? 'swap_cache_add_folio' : 'add_to_swap_cache';
    const alloc = at((x) => x.fn === 'swap_alloc_fast' && x.op === 'store' && /^swap_map\[\d\]$/.test(x.target));
    const slot = Number(/\[(\d)\]/.exec(k[alloc].target)![1]);
    const cached = at((x) => x.fn === adder && x.target === `swap cache slot ${slot}`);
    const unmap = at((x) => x.fn === 'try_to_unmap_one' && x.op === 'store' && x.wrote === mk_swap_pte(slot));
    const pageout = at((x) => x.fn === 'pageout');
    const freeze = at((x) => x.op === 'cmpxchg' && /_refcount/.test(x.target) && x.wrote === 0);
    const free = at((x) => x.op === 'free');
    assert.ok(alloc >= 0 && alloc < cached && cached < unmap && unmap < pageout && pageout < freeze && freeze < free, JSON.stringify({ alloc, cached, unmap, pageout, freeze, free }));
    assert.ok(k.some((x) => x.stack.includes(kernel === 'v6.18' ? 'folio_alloc_swap' : 'add_to_swap')));
  });

for (const kernel of ['v6.6', 'v6.18'])
  test(`not vacuous (${kernel}): without the pte recheck on arm64, GUP-fast returns the page reclaim swapped out, freed and gave away`, () => {
    const s = issue(FLAGS.pin, 3, `arch: arm64\nkernel: ${kernel}\npatches: [-gup-pte-recheck]\n`);
    const r = check(s);
    assert.equal(r.verdict, 'violated');
    const t = r.trace!;
    assert.equal(t.violation.property, 'stale-reference');
    assert.ok(t.preemptions >= 1, 'a race, not a sequential run');
    const i = (pred: (x: (typeof t.steps)[number]) => boolean) => t.steps.findIndex(pred);
    const readPte = i((x) => x.threadName === 'cpu0' && x.fn === 'gup_fast_pte_range' && x.op === 'load');
    const added = i((x) => x.threadName === 'cpu1' && /swap cache slot/.test(x.target) && x.op !== 'load');
    const free = i((x) => x.threadName === 'cpu1' && x.op === 'free');
    const realloc = i((x) => x.threadName === 'cpu2' && x.op === 'alloc');
    const ref = i((x) => x.threadName === 'cpu0' && x.op === 'add_unless' && x.read === true);
    assert.ok(added >= 0 && readPte >= 0 && readPte < free && added < free && free < realloc && realloc < ref, JSON.stringify({ readPte, added, free, realloc, ref }));
  });

test('the swapcache layout: slot allocated, clean pte; anon-small is PageAnonExclusive unless told', () => {
  const k = bootFor({ arch: 'x86-64', kernel: 'v6.18', patches: [] }, { cpus: 1, mmCpus: [0] });
  const env = new Env(k);
  const layout = LAYOUTS.get('anon-small')!;
  const [a] = layout.apply(k, layout.args.parse({ at: 0x4000, pages: 1, swapcache: true }), env).pfns;
  const [b] = layout.apply(k, layout.args.parse({ at: 0x8000, pages: 1, exclusive: false }), env).pfns;
  const mem = k.machine.mem;
  const flags = (f: number) => mem.words[k.memmap.field(f, 'flags')];
  assert.ok(flags(a) & PG_swapcache && flags(a) & PG_anon_exclusive, 'swapcache page, exclusive by default');
  assert.equal(mem.words[k.swap.map + 0], SWAP_HAS_CACHE, 'its slot is allocated: kswapd will not hand it out again');
  assert.equal(mem.read(entryFor(k, 0x4000, PTE), 2) & _PAGE_DIRTY, 0, 'clean pte, as a swap-in by a read fault maps it');
  assert.ok(!(flags(b) & PG_anon_exclusive) && !(flags(b) & PG_swapcache), 'exclusive false');
  assert.notEqual(mem.read(entryFor(k, 0x8000, PTE), 2) & _PAGE_DIRTY, 0);
});

/** A file that must be rejected at `field` with a message matching `why`. */
function rejected(text: string, field: RegExp, why: RegExp) {
  assert.throws(() => file(text), (e: Error) => e instanceof InputError && field.test(e.message) && why.test(e.message), text);
}
const HEAD = 'arch: x86-64\nkernel: v6.18\n';

test('kswapd models small anonymous pages: a THP or device range is rejected at addr', () => {
  rejected(`${HEAD}map: anon-thp at 0x4000 ptes\ncpus:\n  - kswapd: {addr: 0x5000}\n`, /cpus\[0\]\.kswapd\.addr/, /mapped by anon-thp: kswapd models small anonymous pages only/);
  rejected(`${HEAD}map: anon-thp at 0x4000\ncpus:\n  - kswapd: {addr: 0x4000}\n`, /kswapd\.addr/, /not THP swap-out/);
});

test('zap models present small ptes: munmap, mmap_fixed, munmap_then_reuse and page_fault reject a THP or dev-dax range', () => {
  const thp = `${HEAD}map: anon-thp at 0x4000\nsetup: [{vma-tree: {spare: [B]}}]\ncpus:\n`;
  rejected(`${thp}  - munmap: {addr: 0x4000, pages: 4}\n`, /cpus\[0\]\.munmap\.addr/, /touches anon-thp \[0x4000, 0x8000\): the modeled zap handles small pages only/);
  rejected(`${thp}  - mmap_fixed: {addr: 0x4000, pages: 4, vma: B}\n`, /mmap_fixed\.addr/, /modeled zap handles small pages only/);
  rejected(`${thp}  - munmap_then_reuse: {addr: 0x4000}\n`, /munmap_then_reuse\.addr/, /covers part of|modeled zap/);
  rejected(`${thp}  - page_fault: {addr: 0x4000}\n`, /page_fault\.addr/, /modeled fault maps small pages only/);
  rejected(`${HEAD}map: dev-dax at 0x0 mapped\nsetup: [vma-tree]\ncpus:\n  - munmap: {addr: 0x0, pages: 8}\n`, /munmap\.addr/, /touches dev-dax/);
});

test('khugepaged_collapse needs one anonymous region over the whole PMD range', () => {
  rejected(`${HEAD}map: anon-small at 0x4000 pages 1\ncpus:\n  - khugepaged_collapse: {addr: 0x4000}\n`, /khugepaged_collapse\.addr/, /is not inside one mapped region/);
  rejected(`${HEAD}map: dev-dax at 0x0\ncpus:\n  - khugepaged_collapse: {addr: 0x0}\n`, /khugepaged_collapse\.addr/, /touches dev-dax .*anonymous memory only/);
});

test('kswapd and an unmapping path on one range are rejected (the rmap walk would not see the vma unlinked)', () => {
  const tree = `${HEAD}map: anon-small at 0x4000 pages 1\nsetup: [{vma-tree: {spare: [B]}}]\ncpus:\n`;
  rejected(`${tree}  - munmap: {addr: 0x4000, pages: 1}\n  - kswapd: {addr: 0x4000}\n`, /cpus\[1\]\.kswapd\.addr/, /kswapd and munmap over \[0x4000, 0x5000\): .*unlink_anon_vmas is not modeled/);
  rejected(`${tree}  - kswapd: {addr: 0x4000}\n  - mmap_fixed: {addr: 0x4000, pages: 1, vma: B}\n`, /cpus\[1\]\.mmap_fixed\.addr/, /mmap_fixed and kswapd over/);
  rejected(`${tree}  - kswapd: {addr: 0x4000}\n  - munmap_then_reuse: {addr: 0x4000}\n`, /munmap_then_reuse\.addr/, /unlink_anon_vmas/);
  rejected(`${tree}  - page_fault: {addr: 0x4800}\n  - kswapd: {addr: 0x4000}\n`, /cpus\[1\]\.kswapd\.addr/, /kswapd and page_fault over .*do_swap_page/);
  // on different ranges they may run together
  const two = file(`${HEAD}map: [anon-small at 0x0 pages 1 name below, anon-small at 0x4000 pages 1 name A]\nsetup: [vma-tree]\ncpus:\n  - munmap: {addr: 0x0, pages: 1}\n  - kswapd: {addr: 0x4000}\n`);
  assert.equal(check(two, { noMinimize: true }).verdict, 'verified');
});

/** Run isolate_lru_folios alone on the page of a fresh anon-small layout, after `prepare`. */
function isolate(prepare: (mem: number[], field: (f: 'flags' | '_refcount') => number) => void) {
  const k = bootFor({ arch: 'x86-64', kernel: 'v6.18', patches: [] }, { cpus: 1, mmCpus: [] });
  const layout = LAYOUTS.get('anon-small')!;
  const [pfn] = layout.apply(k, layout.args.parse({ at: 0x4000, pages: 1 }), new Env(k)).pfns;
  prepare(k.machine.mem.words as unknown as number[], (f) => k.memmap.field(pfn, f));
  const exec = replay(makeWorld(k, [{ name: 'cpu0', cpu: 0, run: (c) => isolate_lru_folios(c, pfn) }]), []);
  while (exec.live && exec.enabled().length) exec.step(exec.enabled()[0]);
  // (no finish(): the isolation reference is kswapd's to put back, so the final oracles would call it a leak)
  return exec.trace.map((x) => `${x.op}:${String(x.read)}`);
}

test('kswapd isolates as isolate_lru_folios does: a freed page fails the try-get, a reused one has no PG_lru', () => {
  assert.ok(isolate(() => {}).includes('add_unless:true'), 'a page on the LRU is isolated');
  const freed = isolate((m, f) => ((m[f('_refcount')] = 0), undefined));
  assert.ok(freed.includes('add_unless:false') && !freed.some((x) => x.startsWith('bitop')), 'freed: the try-get fails, PG_lru untouched');
  const reused = isolate((m, f) => ((m[f('flags')] = 0), undefined));
  assert.ok(!reused.some((x) => x.startsWith('add_unless')), 'reused by an owner off the LRU: not even a try-get');
});
