/**
 * The guards of the model: every recheck, IRQ-off region, lock, freeze, READ_ONCE and wait that
 * a race argument leans on, by name. A mutant turns one off (`config.mutations`), and
 * `npm run mutants` reports which catalog rows catch it: a guard no row needs is either
 * redundant or a hole in the catalog. Fixes that are patch toggles are mutated by reverting
 * the patch, so they are not repeated here.
 */
import type { Ctx } from './kernel.js';

export const GUARDS = {
  'gup_fast:irq_off': 'gup_fast disables IRQs around the walk (holds off IPI flushes; an RCU read-side section)',
  'gup_fast_pte_range:rcu_read_lock': "pte_offset_map's rcu_read_lock around the pte table access",
  'gup_fast_pmd_range:READ_ONCE(pmd)': 'the pte table is derived from the pmd value read once, not from a second *pmdp',
  'gup_fast_pmd_leaf:pmd_recheck': 'gup_fast_pmd_leaf re-reads *pmdp after referencing the THP',
  'smp_call_function_many:wait': 'a cross-call (TLB flush IPI, sync IPI) waits until every target ran it',
  'collapse:refcount_check': '__collapse_huge_page_isolate compares the refcount with the mapcount',
  'collapse:pmdp_collapse_flush': 'collapse_huge_page clears the pmd and flushes before isolating',
  '__remove_mapping:freeze': '__remove_mapping freezes the refcount (cmpxchg to 0) instead of just reading it',
  'try_to_unmap_one:pin_check': 'folio_try_share_anon_rmap_pte backs off a possibly pinned folio',
  'shrink_folio_list:flush_before_free': 'reclaim does the deferred TLB flush before freeing the pages',
  '__folio_split:freeze': '__folio_split freezes the refcount before rewriting compound_head',
  '__split_huge_pmd_locked:pmdp_invalidate': 'the huge pmd is invalidated (and flushed) before the pte table is filled',
  'vma_start_read:vm_lock_seq': 'vma_start_read refuses a vma whose vm_lock_seq equals mm_lock_seq (write-locked), before and after the trylock',
  'vma_start_write:wait_readers': 'vma_start_write takes vm_lock for write, waiting out vma readers',
  'lock_vma_under_rcu:address_recheck': 'lock_vma_under_rcu rechecks vm_start/vm_end after locking the vma',
  'pmd_install:pmd_none_recheck': 'pmd_install rechecks pmd_none under the pmd lock before pmd_populate',
  'pte_offset_map_lock:pmd_recheck': 'pte_offset_map_lock rechecks the pmd after taking the pte lock',
  'pxx_get_lockless:low_recheck': 'x86-32 PAE ptep_get_lockless/pmdp_get_lockless re-read the low word after the high one and retry if it changed',
  'tlb_flush_mmu:flush_before_free': 'tlb_flush_mmu flushes the TLB before freeing the gathered tables and pages',
} as const;

export type GuardName = keyof typeof GUARDS;

/** Whether the guard is in force (not mutated away) in this execution. */
export function guarded(k: Ctx, name: GuardName): boolean {
  return !k.kernel.mutations.has(name);
}
