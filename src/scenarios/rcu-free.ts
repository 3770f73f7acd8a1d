/**
 * rcu-free: do arches whose TLB flush is a broadcast TLBI (arm64) need to free page tables
 * through RCU? (Jason Gunthorpe, 2023; CONFIG_MMU_GATHER_RCU_TABLE_FREE.)
 *
 * CPU 0 runs the process: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of one page. CPU 1 runs the
 * same process: munmap of that page (the only vma in its PMD range, so free_pgtables frees the
 * pte table; a vma below keeps the upper tables), and afterwards the allocator hands the freed
 * frames out again (LIFO): first a data page for another owner, then a pte table for another mm.
 */
import {
  __vm_munmap, alloc_pages, type Ctx, do_user_addr_fault, entryFor, failTableBatchAlloc, FOLL_PIN, FOLL_WRITE,
  gup_fast_fallback, initVmaTree, kfunc, madvise_dontneed_vma, mapAnonSmall, PAGE_SIZE, type Program, PTE,
} from '../kernel/index.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';
import { bootFor, makeWorld } from './world.js';
import { z } from 'zod';
import { vmaTreeOf } from './builtins.js';
import { Address, ArgError, defineSetup, definePath, hexs } from './paths.js';
import { ZAP_SMALL_ONLY, claimUnmap } from './mmap-overlap.js';

const QUESTION = 'With broadcast TLBI (no IPI), can GUP-fast read a page table that munmap freed and the allocator reused?';

/** munmap(2), then other allocations reuse the freed frames (a page-cache read, another process's fault). */
const munmap_then_reuse = kfunc('munmap_then_reuse', function* (k: Ctx, start: number): Program<void> {
  yield* __vm_munmap(k, start, PAGE_SIZE);
  const page = yield* alloc_pages(k, 0, { kind: 'data' }); // another owner's page
  if (page >= 0) k.kernel.ghost.held.push({ pfn: page, refs: 1, who: 'another owner' });
  yield* alloc_pages(k, 0, { kind: 'table', level: PTE }); // pte_alloc_one for another mm
});

function builder(batchAllocFails: boolean) {
  return (config: ScenarioConfig) => build(config, batchAllocFails);
}

export function build(config: ScenarioConfig, batchAllocFails = false) {
  const k = bootFor(config, { cpus: 2, mmCpus: [0, 1] });
  if (batchAllocFails) failTableBatchAlloc(k);
  const start = k.machine.geometry.size(2); // the second PMD range
  mapAnonSmall(k, 0, 1); // a vma below: the pmd table stays (free_pgtables' floor)
  mapAnonSmall(k, start, 1);
  initVmaTree(k, [
    { name: 'below', start: 0, end: PAGE_SIZE, mapped: true },
    { name: 'A', start, end: start + PAGE_SIZE, mapped: true },
  ]);
  return makeWorld(k, [
    { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE) },
    { name: 'cpu1', cpu: 1, run: (c) => munmap_then_reuse(c, start) },
  ]);
}

function row(variant: string, expect: Scenario['expect'], source: string, config: ScenarioConfig, batchAllocFails = false): Scenario {
  return { id: `rcu-free/${variant}`, family: 'rcu-free', variant, question: QUESTION, expect, source, config, build: builder(batchAllocFails) };
}

const Q_PT_RECLAIM =
  'MADV_DONTNEED frees an emptied pte table under mmap_lock for read: can a page fault that read the pmd before it was cleared map a page into the freed table?';

/**
 * Empty pte table reclaim (6375e95f381e, v6.14) vs a page fault. The vma A covers its whole PMD
 * range, with one page mapped (so the pte table exists; a vma below keeps the upper tables). CPU 0
 * takes a write fault on the second page of A (per-VMA lock); CPU 1, in the same process, runs
 * madvise(A, PMD_SIZE, MADV_DONTNEED), which zaps the page, clears the pmd and frees the table
 * through RCU. Both hold only read locks (vma lock / mmap_lock), so nothing but the pmd recheck in
 * pte_offset_map_lock keeps the fault from mapping its page into the table being freed.
 */
export function buildPtReclaim(config: ScenarioConfig) {
  const k = bootFor(config, { cpus: 2, mmCpus: [0, 1] });
  const start = k.machine.geometry.size(2); // the second PMD range
  const pmdSize = k.machine.geometry.size(1) * k.machine.geometry.entries(1);
  mapAnonSmall(k, 0, 1);
  entryFor(k, start, PTE); // an empty pte table under A (an earlier MADV_DONTNEED of a v6.13 kernel left it)
  initVmaTree(k, [
    { name: 'below', start: 0, end: PAGE_SIZE, mapped: true },
    { name: 'A', start, end: start + pmdSize, mapped: true },
  ]);
  return makeWorld(k, [
    { name: 'cpu0', cpu: 0, run: (c) => do_user_addr_fault(c, start) },
    { name: 'cpu1', cpu: 1, run: (c) => madvise_dontneed_vma(c, start, pmdSize) },
  ]);
}

export const rcuFree: Scenario[] = [
  row('arm64-no-rcu-table-free', 'violated',
    'Jason Gunthorpe 2023: without an IPI to wait for, IRQs off does not hold off the free; hence arm64 selects MMU_GATHER_RCU_TABLE_FREE',
    { arch: 'arm64-no-rcu-table-free', kernel: 'v6.12', patches: [] }),
  withFlip(
    row('arm64-rcu-table-free', 'verified', 'arm64 selects MMU_GATHER_RCU_TABLE_FREE: tables are freed after a grace period, which IRQ-off GUP-fast holds off',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }),
    { arch: 'arm64-no-rcu-table-free', why: 'MMU_GATHER_RCU_TABLE_FREE' },
  ),
  withFlip(
    row('x86-64-ipi', 'verified', 'x86-64 !PARAVIRT before a37259732a7d: the flush IPI waits for IRQ-off GUP-fast, then the tables are freed',
      { arch: 'x86-64', kernel: 'v6.12', patches: [] }),
    { mutations: ['gup_fast:irq_off'], why: 'the flush IPI waits for IRQ-off GUP-fast before the tables are freed' },
  ),
  withFlip(
    row('x86-64-rcu-table-free', 'verified', 'x86-64 with PARAVIRT, or v6.15+ (a37259732a7d): the IPI flush and RCU table free',
      { arch: 'x86-64-rcu', kernel: 'v6.12', patches: [] }),
    { arch: 'x86-64', mutations: ['smp_call_function_many:wait'], why: 'both: RCU table free and the flush IPI wait (either alone keeps it verified)' },
  ),
  row('arm64-rcu-no-entry-recheck', 'violated',
    '2667f50e8b81: RCU table freeing keeps the table alive but not the data page; without the pte (and pmd) recheck the speculative reference on the reused page is returned',
    { arch: 'arm64', kernel: 'v6.12', patches: ['-gup-pte-recheck', '-gup-pmd-recheck'] }),
  withFlip(
    row('arm64-batch-alloc-fails', 'verified',
      'mm/mmu_gather.c tlb_remove_table_one: when the batch page cannot be allocated, tlb_remove_table_sync_one (an IPI, waited for) before the immediate free',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }, true),
    { mutations: ['smp_call_function_many:wait'], why: "tlb_remove_table_sync_one's IPI is waited for" },
  ),
  {
    id: 'rcu-free/pt-reclaim-fault',
    family: 'rcu-free',
    variant: 'pt-reclaim-fault',
    question: Q_PT_RECLAIM,
    expect: 'verified',
    source:
      '__pte_offset_map_lock rechecks the pmd under the pte lock and retries if it changed (0d940a9b270b, "mm/pgtable: allow pte_offset_map[_lock]() to fail", v6.5, ' +
      'Hugh Dickins); PT_RECLAIM (6375e95f381e, v6.14) relies on it to clear the pmd of an emptied table under mmap_lock for read',
    config: { arch: 'x86-64-rcu', kernel: 'v6.14', patches: [] },
    build: buildPtReclaim,
    flips: { mutations: ['pte_offset_map_lock:pmd_recheck'], why: 'the pmd recheck under the pte lock' },
  },
];

// Registry entries (scenario files and the typed API): see src/scenarios/paths.ts.
definePath('munmap_then_reuse', {
  description: 'munmap(2) of the page at addr, then other owners allocate a data page and a page table (reusing freed frames); needs setup: [vma-tree]',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => {
    vmaTreeOf(env, ['addr']);
    if (a.addr % PAGE_SIZE) throw new ArgError(['addr'], `${hexs(a.addr)} is not page-aligned (a multiple of ${hexs(PAGE_SIZE)})`);
    env.requireWholeRegions(a.addr, 1, ['addr']);
    env.requireLayouts(a.addr, 1, ['addr'], ['anon-small'], ZAP_SMALL_ONLY);
    claimUnmap(env, 'munmap_then_reuse', a.addr, 1);
  },
  run: (c, a) => munmap_then_reuse(c, a.addr),
});

defineSetup('table-batch-alloc-fails', {
  description: 'every __get_free_page(GFP_NOWAIT) for an mmu_gather table batch fails (tlb_remove_table_one)',
  args: z.object({}).strict(),
  apply: (k) => failTableBatchAlloc(k),
});
