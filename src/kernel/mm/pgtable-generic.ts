/** mm/pgtable-generic.c */
import type { Program } from '../../machine/effects.js';
import { BUG_ON, type Ctx, kfunc } from '../kernel.js';
import { PMD, type TablePtr, get_and_clear } from './pgtable.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';

/** __pte_offset_map's rcu_read_lock() (a349d72fd9ef, v6.6: the pte table may be freed by RCU
 * under a walker that holds neither mmap_lock nor the pmd lock). Before it, pte_offset_map was
 * only a kmap: no RCU read-side section. */
export function* pte_offset_map_rcu_lock(k: Ctx): Program<void> {
  if (k.kernel.has('pte-offset-map-rcu')) yield* rcu_read_lock();
}

/** pte_unmap's rcu_read_unlock() (a349d72fd9ef, v6.6). */
export function* pte_unmap_rcu_unlock(k: Ctx): Program<void> {
  if (k.kernel.has('pte-offset-map-rcu')) yield* rcu_read_unlock();
}

/**
 * pmdp_collapse_flush: clear the pmd (pmdp_huge_get_and_clear: xchg on x86-64, xchg_relaxed on
 * arm64) and flush the range: "collapse entails shooting down ptes not pmd". Arches that
 * override it (powerpc radix) provide their own.
 */
export const pmdp_collapse_flush = kfunc('pmdp_collapse_flush', function* (k: Ctx, address: number, pmdp: TablePtr): Program<number> {
  const override = k.arch.pmdp_collapse_flush;
  if (override) return yield* override(k, address, pmdp);
  const size = k.kernel.machine.geometry.size(PMD);
  BUG_ON(address % size !== 0, 'address & ~HPAGE_PMD_MASK');
  const pmd = yield* get_and_clear(k, pmdp); // pmdp_huge_get_and_clear
  yield* k.arch.flush_tlb_range(k, address, address + size);
  return pmd;
});
