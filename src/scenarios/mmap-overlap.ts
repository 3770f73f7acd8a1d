/**
 * mmap-overlap: MAP_FIXED over an existing mapping vs lockless readers (Peter Xu / Liam
 * Howlett, 2024: f8d112a4e657, 79f3d123caed; the per-VMA-lock detached check).
 *
 * One page mapped at A (alone in its PMD range; a vma below keeps the upper tables). CPU 1 runs
 * mmap(A, PAGE_SIZE, MAP_FIXED | MAP_ANONYMOUS | MAP_PRIVATE): the new vma B replaces A. CPU 0,
 * in the same process, either pins the page with GUP-fast, or takes a write fault at A through
 * the per-VMA lock path (lock_vma_under_rcu, falling back to mmap_lock).
 */
import {
  __vm_munmap, type Ctx, do_user_addr_fault, FOLL_PIN, FOLL_WRITE, gup_fast_fallback, initVmaTree,
  mapAnonSmall, mmap_fixed, PAGE_SIZE, type Program, vmaByName,
} from '../kernel/index.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';
import { bootFor, makeWorld } from './world.js';
import { z } from 'zod';
import { vmaTreeOf } from './builtins.js';
import { Address, ArgError, type Env, definePath, hexs } from './paths.js';

type Writer = 'map-fixed' | 'munmap' | 'fault';

export function builder(reader: 'gup' | 'fault', writer: Writer = 'map-fixed') {
  return (config: ScenarioConfig) => {
    const k = bootFor(config, { cpus: 2, mmCpus: [0, 1] });
    const start = k.machine.geometry.size(2);
    mapAnonSmall(k, 0, 1);
    // two faults: A has no page yet, so its pmd is none (the pmd table is kept by the vma below)
    if (writer !== 'fault') mapAnonSmall(k, start, 1);
    const t = initVmaTree(k, [
      { name: 'below', start: 0, end: PAGE_SIZE, mapped: true },
      { name: 'A', start, end: start + PAGE_SIZE, mapped: true },
    ], ['B']);
    const B = vmaByName(t, 'B');
    const cpu0 = reader === 'gup'
      ? (c: Ctx): Program<unknown> => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE)
      : (c: Ctx): Program<unknown> => do_user_addr_fault(c, start);
    return makeWorld(k, [
      { name: 'cpu0', cpu: 0, run: cpu0 },
      {
        name: 'cpu1',
        cpu: 1,
        run: (c) =>
          writer === 'munmap' ? __vm_munmap(c, start, PAGE_SIZE) : writer === 'fault' ? do_user_addr_fault(c, start) : mmap_fixed(c, start, PAGE_SIZE, B),
      },
    ]);
  };
}

const Q_GUP = 'Can GUP-fast racing with MAP_FIXED over the range pin a page that stays hidden, or read a freed table?';
const Q_FAULT = 'Can a page fault through lock_vma_under_rcu re-instantiate page tables under the vma MAP_FIXED is replacing?';

const Q_MUNMAP = 'Can a page fault through lock_vma_under_rcu re-instantiate page tables in a range munmap is removing (after it downgraded mmap_lock)?';

const Q_TWO_FAULTS = 'Two threads fault on the same address under an empty pmd: can both install a pte table, losing the first with the page it mapped?';

function row(variant: string, reader: 'gup' | 'fault', expect: Scenario['expect'], source: string, config: ScenarioConfig, writer: Writer = 'map-fixed'): Scenario {
  const question = writer === 'fault' ? Q_TWO_FAULTS : writer === 'munmap' ? Q_MUNMAP : reader === 'gup' ? Q_GUP : Q_FAULT;
  return { id: `mmap-overlap/${variant}`, family: 'mmap-overlap', variant, question, expect, source, config, build: builder(reader, writer) };
}

export const mmapOverlap: Scenario[] = [
  withFlip(
    row('gup-fast-arm64', 'gup', 'verified',
      'GUP-fast pins before vms_clean_up_area clears the pte (the unmap is user-initiated) or finds nothing; tables are RCU-freed',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }),
    { arch: 'arm64-no-rcu-table-free', why: 'the freed pte table is RCU-freed (GUP-fast never reads it reused)' },
  ),
  withFlip(
    row('gup-fast-x86-64', 'gup', 'verified', 'the same with the flush IPI and no RCU table free',
      { arch: 'x86-64', kernel: 'v6.12', patches: [] }),
    { mutations: ['gup_fast:irq_off'], why: 'the flush IPI waits for IRQ-off GUP-fast before the tables are freed' },
  ),
  row('fault-no-detached-check', 'fault', 'violated',
    'without the detached check a reader that found the old vma before the store locks it once mmap_write_unlock ends the vma write locks, and faults page tables back under it',
    { arch: 'arm64', kernel: 'v6.12', patches: ['-vma-detached-check'] }),
  withFlip(
    row('fault-detached-check', 'fault', 'verified',
      'lock_vma_under_rcu: "Check if the VMA got isolated after we found it" (v6.4; the vm_refcnt form since v6.15)',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }),
    { patches: ['-vma-detached-check'], why: "lock_vma_under_rcu's detached check" },
  ),
  withFlip(
    row('fault-store-before-clear', 'fault', 'verified',
      'f8d112a4e657 without 79f3d123caed (v6.12-rc1): the new vma is stored before the old ptes are cleared; it is write-locked until mmap_write_unlock, so the RCU fault falls back to mmap_lock (Vlastimil Babka / Liam Howlett on the fix: faults cannot reinstate ptes; the race was with rmap, not modeled)',
      { arch: 'arm64', kernel: 'v6.12', patches: ['-mmap-clear-ptes-before-store'] }),
    { mutations: ['vma_start_read:vm_lock_seq'], why: 'the new vma is write-locked until mmap_write_unlock: vma_start_read refuses it' },
  ),
  withFlip(
    row('fault-tree-punched-v6.11', 'fault', 'verified',
      'before f8d112a4e657 MAP_FIXED punched the range out of the tree first; the detached check covers the stale reader',
      { arch: 'arm64', kernel: 'v6.11', patches: [] }),
    { patches: ['-vma-detached-check'], why: 'the detached check covers the stale reader' },
  ),
  row('munmap-fault-no-detached-check', 'fault', 'violated',
    'munmap downgrades mmap_lock (vma_end_write_all) before clearing ptes; a reader holding the detached vma from before the tree was cleared locks it and faults',
    { arch: 'arm64', kernel: 'v6.12', patches: ['-vma-detached-check'] }, 'munmap'),
  withFlip(
    row('munmap-fault-detached-check', 'fault', 'verified',
      'lock_vma_under_rcu retries a detached vma; the retry finds the hole and the fault falls back to mmap_lock (read, shared with the downgraded munmap) and finds no vma',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }, 'munmap'),
    { patches: ['-vma-detached-check'], why: 'lock_vma_under_rcu retries a detached vma' },
  ),
  withFlip(
    row('two-faults-empty-pmd', 'fault', 'verified',
      'pmd_install (03c4f20454e0, v5.16, from __pte_alloc): "Has another populated it ?" — pmd_none is rechecked under the pmd lock and the loser frees its pte table (the recheck is as old as the lock dropped around the allocation: v2.6.12 pte_alloc_map already re-checked the pmd after allocating)',
      { arch: 'arm64', kernel: 'v6.12', patches: [] }, 'fault'),
    { mutations: ['pmd_install:pmd_none_recheck'], why: 'pmd_install rechecks pmd_none under the pmd lock' },
  ),
];

// Registry entries (scenario files and the typed API): see src/scenarios/paths.ts.
const pageAligned = (addr: number, field: string[]) => {
  if (addr % PAGE_SIZE) throw new ArgError(field, `${hexs(addr)} is not page-aligned (a multiple of ${hexs(PAGE_SIZE)})`);
};

/** zap_pte_range is modeled for present small ptes: a huge pmd or pud in the range is not. */
export const ZAP_SMALL_ONLY = 'the modeled zap handles small pages only (zap_pte_range of present ptes; no huge pmd or pud zap)';

/** free_pgtables does not unlink the vma from its anon_vma (unlink_anon_vmas is not modeled,
 * src/kernel/mm/memory.ts): an rmap walker (kswapd's try_to_unmap) racing the unmap could walk
 * page tables munmap freed, which the kernel's anon_vma lock rules out. */
export const NO_RMAP_VS_UNMAP = {
  reclaim: "the model's rmap walk (kswapd's try_to_unmap) does not see munmap unlink the vma from its anon_vma (unlink_anon_vmas is not modeled), so the two cannot race on one range",
};

/** A fault on the page kswapd swaps out would swap it in (do_swap_page), which is not modeled. */
export const NO_SWAPIN = { reclaim: 'a fault on the swap entry kswapd leaves would swap the page in (do_swap_page), which is not modeled' };

/** Claims of the unmapping paths on [addr, addr + pages pages). */
export function claimUnmap(env: Env, path: string, addr: number, pages: number): void {
  env.claim(path, 'unmap', addr, pages, ['addr'], NO_RMAP_VS_UNMAP);
}

definePath('munmap', {
  description: 'munmap(2) of `pages` pages at addr (mmap_lock for write, downgraded to read); needs setup: [vma-tree]',
  process: true,
  args: z.object({ addr: Address, pages: z.number().int().positive().default(1) }).strict(),
  check: (a, env) => {
    vmaTreeOf(env, ['addr']);
    pageAligned(a.addr, ['addr']);
    env.requireWholeRegions(a.addr, a.pages, ['addr']);
    env.requireLayouts(a.addr, a.pages, ['addr'], ['anon-small'], ZAP_SMALL_ONLY);
    claimUnmap(env, 'munmap', a.addr, a.pages);
  },
  run: (c, a) => __vm_munmap(c, a.addr, a.pages * PAGE_SIZE),
});

definePath('mmap_fixed', {
  description: 'mmap(MAP_FIXED) of `pages` pages at addr, inserting the spare VMA `vma` over whatever is there; needs setup: [vma-tree: {spare: [vma]}]',
  process: true,
  args: z.object({ addr: Address, pages: z.number().int().positive().default(1), vma: z.string() }).strict(),
  check: (a, env) => {
    const t = vmaTreeOf(env, ['addr']);
    pageAligned(a.addr, ['addr']);
    env.requireWholeRegions(a.addr, a.pages, ['addr']);
    env.requireLayouts(a.addr, a.pages, ['addr'], ['anon-small'], ZAP_SMALL_ONLY);
    claimUnmap(env, 'mmap_fixed', a.addr, a.pages);
    if (!t.vmas.some((v) => v.name === a.vma)) throw new ArgError(['vma'], `no VMA named '${a.vma}' (name it in setup: [vma-tree: {spare: [${a.vma}]}])`);
  },
  run: (c, a, env) => {
    const t = vmaTreeOf(env, ['addr']);
    return mmap_fixed(c, a.addr, a.pages * PAGE_SIZE, vmaByName(t, a.vma));
  },
});

definePath('page_fault', {
  description: 'a user page fault at addr: do_user_addr_fault, lock_vma_under_rcu first, mmap_lock as the fallback; needs setup: [vma-tree]',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => {
    vmaTreeOf(env, ['addr']);
    env.requireLayouts(a.addr - (a.addr % PAGE_SIZE), 1, ['addr'], ['anon-small'], 'the modeled fault maps small pages only (do_anonymous_page; no huge pmd or pud fault)');
    env.claim('page_fault', 'fault', a.addr - (a.addr % PAGE_SIZE), 1, ['addr'], NO_SWAPIN);
  },
  run: (c, a) => do_user_addr_fault(c, a.addr),
});
