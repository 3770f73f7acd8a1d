/**
 * Fixes, reverts and proposed designs as named toggles, each read by the one modeled function
 * it changes, and kernel profiles as named sets of them.
 */

export interface Patch {
  name: string;
  commit: string;
  title: string;
  /** First release that has it, or 'proposal' for designs argued on the list. */
  release: string;
  /** What turning it on changes in the model. */
  effect: string;
  /** A feature, not a fix: the mutation check (tools/mutants.ts) does not revert it. */
  feature?: true;
}

export const PATCHES: Record<string, Patch> = {
  'gup-speculative-ref': {
    name: 'gup-speculative-ref',
    commit: '2667f50e8b81',
    title: 'mm: introduce a general RCU get_user_pages_fast()',
    release: 'v3.18',
    effect: 'GUP-fast takes its reference with add-unless-zero (fails on a free or frozen folio) instead of get_page()',
  },
  'gup-pte-recheck': {
    name: 'gup-pte-recheck',
    commit: '2667f50e8b81',
    title: 'mm: introduce a general RCU get_user_pages_fast()',
    release: 'v3.18',
    effect: 'gup_fast_pte_range re-reads the pte after taking the reference and backs off if it changed',
  },
  'gup-folio-recheck': {
    name: 'gup-folio-recheck',
    commit: 'c24d37322548',
    title: 'mm/gup: fix try_grab_compound_head() race with split_huge_page()',
    release: 'v5.14', // committed 2021-06-28, the day after v5.13; in the v5.14 merge window
    effect: 'try_get_folio rechecks that the page still belongs to the folio it referenced, else puts it and retries',
  },
  'gup-pmd-recheck': {
    name: 'gup-pmd-recheck',
    commit: '70cbc3cc78a9',
    title: 'mm: gup: fix the fast GUP race against THP collapse',
    release: 'v6.0',
    effect: 'gup_fast_pte_range also re-reads *pmdp after taking the reference and backs off if it changed',
  },
  'ppc-radix-no-collapse-ipi': {
    name: 'ppc-radix-no-collapse-ipi',
    commit: 'bedf03416913',
    title: "powerpc/64s/radix: don't need to broadcast IPI for radix pmd collapse flush",
    release: 'v6.0',
    effect: 'radix__pmdp_collapse_flush no longer calls serialize_against_pte_lookup (the IPI)',
  },
  'gup-seqcount': {
    name: 'gup-seqcount',
    commit: 'proposal (Linus Torvalds, 2022)',
    title: 'GUP-fast: a sequence count bumped by page-replacing paths instead of disabling interrupts',
    release: 'proposal',
    effect:
      'gup_fast samples mm->replace_seq, walks with IRQs on, and undoes its pins if the count moved; collapse_huge_page and ' +
      'shrink_folio_list bump it (odd while they replace) around clearing the entry',
  },
  'seqcount-late-bump': {
    name: 'seqcount-late-bump',
    commit: 'proposal variant',
    title: 'the gup-seqcount writer side bumps the count only around installing the new entry',
    release: 'proposal',
    effect: 'collapse_huge_page enters the seqcount write section after isolating and copying, just before set_pmd_at',
  },
  'khugepaged-sync-ipi': {
    name: 'khugepaged-sync-ipi',
    commit: '2ba99c5e0881',
    title: 'mm/khugepaged: fix GUP-fast interaction by sending IPI',
    release: 'v6.1',
    effect: 'collapse_huge_page calls tlb_remove_table_sync_one() after pmdp_collapse_flush',
  },
  'gup-pmd-lockless': {
    name: 'gup-pmd-lockless',
    commit: '1180e732c985',
    title: 'mm/gup: Fix the lockless PMD access (Peter Zijlstra\'s series after 024d232ae4fc "mm: Fix pmd_read_atomic()"; x86_mm_for_6.2)',
    release: 'v6.2',
    effect: 'gup_fast_pmd_range reads the pmd with pmdp_get_lockless instead of READ_ONCE(*pmdp) (two unordered 32-bit loads on x86-32 PAE)',
  },
  'pagewalk-pud-read-once': {
    name: 'pagewalk-pud-read-once',
    commit: 'RFC, never merged: Jason Gunthorpe, 2020-03-13; reposted as [RFC PATCH v2 01/30] <20200928175428.4110504-2-zi.yan@sent.com>',
    title: 'mm/pagewalk: use READ_ONCE when reading the PUD entry unlocked',
    release: 'proposal',
    effect:
      'walk_pud_range reads *pudp once with READ_ONCE (again after split_huge_pud), passes the value to pud_entry ' +
      '(which rechecks it under the pud lock and returns ACTION_AGAIN if it changed) and to walk_pmd_range, whose ' +
      'pmd_offset derives the table from that value instead of re-reading *pudp',
  },
  'vma-detached-check': {
    name: 'vma-detached-check',
    commit: '50ee32537206 (the check in lock_vma_under_rcu) on 457f67be5910 (the flag)',
    title: 'mm: introduce lock_vma_under_rcu to be used from arch-specific code / mm: introduce vma detached flag',
    release: 'v6.4',
    effect: 'lock_vma_under_rcu drops and retries a vma found by mas_walk that was detached meanwhile ("Check if the VMA got isolated after we found it")',
  },
  'arm64-batched-unmap-flush': {
    name: 'arm64-batched-unmap-flush',
    commit: '43b3dfdd0455',
    title: 'arm64: support batched/deferred tlb shootdown during page reclamation/migration',
    release: 'v6.6',
    effect: 'arm64 selects ARCH_WANT_BATCHED_UNMAP_TLB_FLUSH: try_to_unmap_one defers its TLBI to try_to_unmap_flush (arch_tlbbatch_should_defer is true); before it, ptep_clear_flush flushed at once',
    feature: true,
  },
  'pte-offset-map-rcu': {
    name: 'pte-offset-map-rcu',
    commit: 'a349d72fd9ef',
    title: 'mm/pgtable: add rcu_read_lock() and rcu_read_unlock()s',
    release: 'v6.6',
    effect: '__pte_offset_map takes rcu_read_lock() and pte_unmap drops it: every pte_offset_map[_lock] user (GUP-fast, zap, collapse_huge_page) is an RCU reader while it holds the pte table',
    feature: true,
  },
  'khugepaged-collapse-shared': {
    name: 'khugepaged-collapse-shared',
    commit: '9445689f3b61',
    title: 'khugepaged: allow to collapse a page shared across fork',
    release: 'v5.8',
    effect: "__collapse_huge_page_isolate's refcount check expects mapcount + swapcache references (was 1 + swapcache: a page mapped twice failed with SCAN_PAGE_COUNT)",
    feature: true,
  },
  'khugepaged-max-ptes-shared': {
    name: 'khugepaged-max-ptes-shared',
    commit: '71a2c112a0f6',
    title: "khugepaged: introduce 'max_ptes_shared' tunable",
    release: 'v5.8',
    effect: '__collapse_huge_page_isolate counts ptes of shared pages and fails with SCAN_EXCEED_SHARED_PTE past khugepaged_max_ptes_shared (default HPAGE_PMD_NR / 2)',
    feature: true,
  },
  'per-vma-lock': {
    name: 'per-vma-lock',
    commit: '0bff0aaea03e (x86; the arm64 fault path in the same series) on 50ee32537206 (lock_vma_under_rcu)',
    title: 'x86/mm: try VMA lock-based page fault handling first',
    release: 'v6.4',
    effect: 'do_user_addr_fault tries lock_vma_under_rcu and handles the fault under the vma read lock before falling back to mmap_lock; before, every fault took mmap_lock for read',
    feature: true,
  },
  'mmap-no-tree-zeroing': {
    name: 'mmap-no-tree-zeroing',
    commit: 'f8d112a4e657',
    title: 'mm/mmap: avoid zeroing vma tree in mmap_region()',
    release: 'v6.12',
    effect: 'MAP_FIXED over a mapping no longer punches the old range out of the VMA tree (do_vmi_munmap) before freeing its page tables: the old vmas stay in the tree, detached, until the new one is stored',
  },
  'mmap-clear-ptes-before-store': {
    name: 'mmap-clear-ptes-before-store',
    commit: '79f3d123caed',
    title: 'mm/mmap: fix race in mmap_region() with ftruncate()',
    release: 'v6.12',
    effect: '__mmap_region clears the old ptes and frees page tables (vms_clean_up_area) before storing the new vma, not in vms_complete_munmap_vmas after it',
  },
  'swap-table': {
    name: 'swap-table',
    commit: '8578e0c00dcf',
    title: 'mm, swap: use the swap table for the swap cache and switch API',
    release: 'v6.18',
    effect:
      'the swap cache is the swap table of each cluster, under the cluster lock (ci->lock) instead of the swapper_space ' +
      'xa_lock: swap_cache_add_folio stores the folio under that lock and takes its references and PG_swapcache inside it ' +
      '(add_to_swap_cache took them before the xa_lock), and __remove_mapping locks the cluster',
    feature: true,
  },
  'pt-reclaim': {
    name: 'pt-reclaim',
    commit: '6375e95f381e',
    title: 'mm: pgtable: reclaim empty PTE page in madvise(MADV_DONTNEED)',
    release: 'v6.14',
    effect:
      'CONFIG_PT_RECLAIM: MADV_DONTNEED over a whole PMD range clears the pmd and frees the emptied pte table (zap_pte_range: ' +
      'try_get_and_clear_pmd / try_to_free_pte, free_pte), under mmap_lock for read only; on arch profiles that free tables ' +
      'through RCU (PT_RECLAIM selects MMU_GATHER_RCU_TABLE_FREE; x86-64 is the one ARCH_SUPPORTS_PT_RECLAIM at v6.14, 4817f70c25b6)',
    feature: true,
  },
};

/** Kernel profiles: a release has every patch that first appeared in it or before it
 * (proposals never). Any 'vX.Y' names a profile; these are the ones the catalog uses. */
export const KERNELS = ['v4.19', 'v5.10', 'v5.19', 'v6.0', 'v6.1', 'v6.6', 'v6.12', 'v6.18'];

function version(v: string): number[] | null {
  const m = /^v(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atOrBefore(a: number[], b: number[]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
}

export function kernelProfile(kernel: string): Set<string> {
  const v = version(kernel);
  if (!v) throw new Error(`unknown kernel profile '${kernel}' (a release like v6.1; the catalog uses ${KERNELS.join(', ')})`);
  const set = new Set<string>();
  for (const p of Object.values(PATCHES)) {
    const r = version(p.release);
    if (r && atOrBefore(r, v)) set.add(p.name);
  }
  return set;
}

/** A kernel profile with patches added (+name) or reverted (-name). */
export function resolvePatches(kernel: string, changes: string[] = []): Set<string> {
  const set = kernelProfile(kernel);
  for (const c of changes) {
    const name = c.slice(1);
    if (!PATCHES[name]) throw new Error(`unknown patch '${name}' (known: ${Object.keys(PATCHES).join(', ')})`);
    if (c[0] === '+') set.add(name);
    else if (c[0] === '-') set.delete(name);
    else throw new Error(`patch change '${c}' must start with + or -`);
  }
  return set;
}
