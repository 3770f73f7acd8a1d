/**
 * mm/pagewalk.c in its 2020 form (v5.8 .. v5.10: walk_page_range -> __walk_page_range ->
 * walk_pgd_range -> walk_p4d_range -> walk_pud_range -> walk_pmd_range -> walk_pte_range, with
 * the mm_walk_ops callbacks and ACTION_SUBTREE / ACTION_CONTINUE / ACTION_AGAIN), and Jason
 * Gunthorpe's RFC "mm/pagewalk: use READ_ONCE when reading the PUD entry unlocked" (March 2020,
 * never merged) as the patch toggle 'pagewalk-pud-read-once'.
 *
 * Loads of *pud per iteration of walk_pud_range, for a walk with a VMA (each one `deref`, a
 * plain C dereference: one 64-bit load on x86-64), in order:
 *   2020:  R1 pud_none(*pud); [pud_entry(pud pointer) reads on its own];
 *          split_huge_pud: pud_trans_huge(*pud) [|| pud_devmap(*pud)] (+ the locked recheck
 *          in __split_huge_pud when it splits); R6 pud_none(*pud) (goto again);
 *          R7 in walk_pmd_range: pmd_offset(pud, addr) re-reads *pud for the table.
 *   RFC:   pud = READ_ONCE(*pudp) once; pud_entry(pud, pudp) gets the value (a callback that
 *          takes the pud lock rechecks it and sets ACTION_AGAIN); after split_huge_pud one more
 *          pud = READ_ONCE(*pudp) and pud_none(pud) (goto again); walk_pmd_range(pud) derives
 *          the pmd table from that value (pmd_offset(&pud, addr)): no further load of *pudp.
 * Without a VMA (walk_page_range_novma, e.g. ptdump) there is no split_huge_pud, and the 2020
 * form tests pud_leaf(*pud) || !pud_present(*pud) (two more loads) before R6 and R7; the RFC
 * tests the value it read once.
 *
 * Simplifications: the VMAs are fixed for the scenario, so find_vma and the vma list walk are
 * not steps; no hugetlb VMAs (walk_hugetlb_range is not reached); test_walk and
 * pre_vma/post_vma callbacks are not modeled (no modeled user has them); walk->pgd (the
 * novma walk's root) is mm->pgd, so pgd_offset stands for `walk->pgd + pgd_index(addr)`;
 * pgd_bad/p4d_bad are false for a present entry (so *_clear_bad never clears); split_huge_pmd
 * on a huge pmd is not modeled (no scenario maps a huge pmd under a walker with pte_entry).
 * Every `goto again` loop is bounded by WALK_AGAIN_RETRIES: past it the execution is cut
 * (LoopBound), and the cut is reported.
 */
import { NotModeled, LoopBound, type Program } from '../../machine/effects.js';
import { P4D, PAGE_SIZE, PGD, PMD, PTE, PUD } from '../../machine/mmu.js';
import { BUG_ON, type Ctx, kfunc, note } from '../kernel.js';
import { spin_lock, spin_unlock } from '../sync/spinlock.js';
import { pud_devmap as pmd_devmap, split_huge_pud } from './huge_memory.js';
import type { Vma } from './mm_types.js';
import {
  type EntryPtr,
  type TablePtr,
  READ_ONCE,
  actsOn,
  clear_entry,
  deref,
  nextEntry,
  offset_lockless,
  offset_plain,
  pgd_offset,
  pmd_bad,
  pmd_leaf,
  pmd_none,
  pmd_present,
  pmd_trans_huge,
  pud_leaf,
  pud_none,
  pud_present,
} from './pgtable.js';

/** How often one entry may be retried with `goto again` before the execution is cut. */
export const WALK_AGAIN_RETRIES = 2;

export type WalkAction = 'ACTION_SUBTREE' | 'ACTION_CONTINUE' | 'ACTION_AGAIN';

export interface MmWalk {
  ops: MmWalkOps;
  vma: Vma | null;
  no_vma: boolean;
  action: WalkAction;
  /** walk->private */
  priv: unknown;
}

/** struct mm_walk_ops (include/linux/pagewalk.h). `pud_entry` gets the pud value as its last
 * argument with the RFC (its new signature `pud_entry(pud, pudp, ...)`), undefined without. */
export interface MmWalkOps {
  name: string;
  pgd_entry?: (k: Ctx, pgdp: EntryPtr, addr: number, next: number, walk: MmWalk) => Program<number>;
  p4d_entry?: (k: Ctx, p4dp: EntryPtr, addr: number, next: number, walk: MmWalk) => Program<number>;
  pud_entry?: (k: Ctx, pudp: TablePtr, addr: number, next: number, walk: MmWalk, pud: number | undefined) => Program<number>;
  pmd_entry?: (k: Ctx, pmdp: EntryPtr, addr: number, next: number, walk: MmWalk) => Program<number>;
  pte_entry?: (k: Ctx, ptep: TablePtr, addr: number, next: number, walk: MmWalk) => Program<number>;
  pte_hole?: (k: Ctx, addr: number, next: number, depth: number, walk: MmWalk) => Program<number>;
}

const RFC = 'pagewalk-pud-read-once';

/** p?d_addr_end: the end of this entry's range, or `end` (a folded level spans it all). */
function addr_end(k: Ctx, level: number, addr: number, end: number): number {
  const g = k.kernel.machine.geometry;
  if (g.folded(level)) return end;
  const size = g.size(level);
  return Math.min((Math.floor(addr / size) + 1) * size, end);
}

/** walk->action as the callback left it (a function, so that TypeScript does not narrow it). */
const action = (walk: MmWalk): WalkAction => walk.action;

function again(fn: string, n: number): void {
  if (n > WALK_AGAIN_RETRIES) throw new LoopBound(fn);
}

/** walk_pte_range_inner + walk_pte_range: pte_offset_map_lock (v5.8: pte_lockptr(mm, pmd) and
 * pte_offset_map(pmd, addr) each dereference *pmd), then pte_entry on each pte. */
const walk_pte_range = kfunc('walk_pte_range', function* (k: Ctx, pmdp: EntryPtr, addr: number, end: number, walk: MmWalk): Program<number> {
  const ops = walk.ops;
  let ptl = -1;
  if (!walk.no_vma) ptl = k.kernel.memmap.field((offset_lockless(k, PTE, yield* deref(k, pmdp), addr) as TablePtr).frame, 'ptl'); // pte_lockptr
  let ptep = offset_lockless(k, PTE, yield* deref(k, pmdp), addr) as TablePtr; // pte_offset_map
  if (ptl >= 0) yield* spin_lock(ptl);
  let err = 0;
  for (;;) {
    err = yield* ops.pte_entry!(k, ptep, addr, addr + PAGE_SIZE, walk);
    if (err) break;
    if (addr >= end - PAGE_SIZE) break;
    addr += PAGE_SIZE;
    ptep = nextEntry(ptep);
  }
  if (ptl >= 0) yield* spin_unlock(ptl);
  return err;
});

/** walk_pmd_range (2020). `pudp` is the pud pointer (2020: pmd_offset re-reads it) or, with the
 * RFC, the pud value (pmd_offset(&pud, addr): the table comes from that value). */
export const walk_pmd_range = kfunc(
  'walk_pmd_range',
  function* (k: Ctx, pud: { pudp: EntryPtr } | { value: number }, addr: number, end: number, walk: MmWalk): Program<number> {
    const ops = walk.ops;
    let err = 0;
    let pmdp = 'value' in pud ? offset_lockless(k, PMD, pud.value, addr) : yield* offset_plain(k, PMD, pud.pudp, addr);
    do {
      const next = addr_end(k, PMD, addr, end);
      for (let n = 0; ; n++) {
        again('walk_pmd_range', n); // again:
        if (pmd_none(yield* deref(k, pmdp)) || (!walk.vma && !walk.no_vma)) {
          if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, PMD, walk);
          break;
        }
        walk.action = 'ACTION_SUBTREE';
        if (ops.pmd_entry) err = yield* ops.pmd_entry(k, pmdp, addr, next, walk);
        if (err) break;
        if (action(walk) === 'ACTION_AGAIN') continue;
        if ((!walk.vma && (pmd_leaf(yield* deref(k, pmdp)) || !pmd_present(yield* deref(k, pmdp)))) || action(walk) === 'ACTION_CONTINUE' || !ops.pte_entry) break;
        if (walk.vma) {
          // split_huge_pmd: is_swap_pmd(*pmd) || pmd_trans_huge(*pmd) || pmd_devmap(*pmd)
          const swap = (v: number) => !pmd_none(v) && !pmd_present(v);
          if (swap(yield* deref(k, pmdp)) || pmd_trans_huge(yield* deref(k, pmdp)) || pmd_devmap(yield* deref(k, pmdp)))
            throw new NotModeled('__split_huge_pmd');
          // pmd_trans_unstable: pmd_read_atomic (one load on 64-bit): none or huge -> again
          const u = yield* deref(k, pmdp);
          if (pmd_none(u) || pmd_trans_huge(u)) continue;
        }
        err = yield* walk_pte_range(k, pmdp, addr, next, walk);
        break;
      }
      if (err) break;
      if (pmdp.kind === 'table') pmdp = nextEntry(pmdp);
      addr = next;
    } while (addr !== end);
    return err;
  },
);

/** walk_pud_range: the 2020 form (re-reads *pud) or the RFC (one READ_ONCE, value passed down). */
export const walk_pud_range = kfunc('walk_pud_range', function* (k: Ctx, p4dp: EntryPtr, addr: number, end: number, walk: MmWalk): Program<number> {
  const ops = walk.ops;
  const rfc = k.kernel.has(RFC);
  let err = 0;
  let pudp = (yield* offset_plain(k, PUD, p4dp, addr)) as TablePtr; // pud_offset(p4d, addr): re-reads *p4d
  do {
    const next = addr_end(k, PUD, addr, end);
    for (let n = 0; ; n++) {
      again('walk_pud_range', n); // again:
      let pud = rfc ? yield* READ_ONCE(k, pudp) : undefined;
      if ((rfc ? pud_none(pud!) : pud_none(yield* deref(k, pudp))) || (!walk.vma && !walk.no_vma)) {
        if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, PUD, walk);
        break;
      }
      walk.action = 'ACTION_SUBTREE';
      if (ops.pud_entry) err = yield* ops.pud_entry(k, pudp, addr, next, walk, pud);
      if (err) break;
      if (action(walk) === 'ACTION_AGAIN') continue;
      const leafOrNotPresent = function* (): Program<boolean> {
        if (rfc) return pud_leaf(pud!) || !pud_present(pud!);
        return pud_leaf(yield* deref(k, pudp)) || !pud_present(yield* deref(k, pudp));
      };
      if ((!walk.vma && (yield* leafOrNotPresent())) || action(walk) === 'ACTION_CONTINUE' || !(ops.pmd_entry || ops.pte_entry)) break;
      if (rfc) {
        if (walk.vma) {
          yield* split_huge_pud(k, walk.vma, pudp, addr);
          pud = yield* READ_ONCE(k, pudp);
          if (pud_none(pud)) continue;
        }
        err = yield* walk_pmd_range(k, { value: pud! }, addr, next, walk);
      } else {
        if (walk.vma) yield* split_huge_pud(k, walk.vma, pudp, addr);
        if (pud_none(yield* deref(k, pudp))) continue;
        err = yield* walk_pmd_range(k, { pudp }, addr, next, walk);
      }
      break;
    }
    if (err) break;
    pudp = nextEntry(pudp);
    addr = next;
  } while (addr !== end);
  return err;
});

/** pmd_clear_bad (mm/pgtable-generic.c): pmd_ERROR ("bad pmd"), then pmd_clear. It acts on the
 * value pmd_bad judged: oracle 4 checks that value was once stored whole. */
export const pmd_clear_bad = kfunc('pmd_clear_bad', function* (k: Ctx, p: TablePtr, v: number): Program<void> {
  actsOn(k, p, v, 'pmd_clear_bad');
  yield* note(`bad pmd ${'0x' + v.toString(16)}: cleared`);
  yield* clear_entry(k, p);
});

/**
 * `X_none_or_clear_bad(p)` (include/linux/pgtable.h): `X_none(*p)`, then `X_bad(*p)`, and if it
 * is bad X_clear_bad: two plain reads (each two 32-bit loads on x86-32 PAE). X_bad is pmd_bad at
 * the pmd level; pgd_bad/p4d_bad are false for a present entry here (see the file comment).
 */
export function* none_or_clear_bad(k: Ctx, p: EntryPtr): Program<boolean> {
  if (p.level === PMD ? pmd_none(yield* deref(k, p)) : (yield* deref(k, p)) === 0) return true;
  const v = yield* deref(k, p); // X_bad(*p)
  if (p.level === PMD && p.kind === 'table' && pmd_bad(v)) {
    yield* pmd_clear_bad(k, p, v);
    return true;
  }
  return false;
}

const walk_p4d_range = kfunc('walk_p4d_range', function* (k: Ctx, pgdp: EntryPtr, addr: number, end: number, walk: MmWalk): Program<number> {
  const ops = walk.ops;
  let err = 0;
  let p4dp = yield* offset_plain(k, P4D, pgdp, addr); // folded: (p4d_t *)pgd
  do {
    const next = addr_end(k, P4D, addr, end);
    if (yield* none_or_clear_bad(k, p4dp)) {
      if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, P4D, walk);
    } else {
      if (ops.p4d_entry) err = yield* ops.p4d_entry(k, p4dp, addr, next, walk);
      if (!err && (ops.pud_entry || ops.pmd_entry || ops.pte_entry)) err = yield* walk_pud_range(k, p4dp, addr, next, walk);
    }
    if (err) break;
    if (!k.kernel.machine.geometry.folded(P4D) && p4dp.kind === 'table') p4dp = nextEntry(p4dp);
    addr = next;
  } while (addr !== end);
  return err;
});

const walk_pgd_range = kfunc('walk_pgd_range', function* (k: Ctx, addr: number, end: number, walk: MmWalk): Program<number> {
  const ops = walk.ops;
  const p4dFolded = k.kernel.machine.geometry.folded(P4D);
  let err = 0;
  let pgdp = pgd_offset(k, addr);
  do {
    const next = addr_end(k, PGD, addr, end);
    // with the p4d level folded, pgd_none()/pgd_bad() are the constant 0 (pgtable-nop4d.h): no load
    if (!p4dFolded && (yield* none_or_clear_bad(k, pgdp))) {
      if (ops.pte_hole) err = yield* ops.pte_hole(k, addr, next, PGD, walk);
    } else {
      if (ops.pgd_entry) err = yield* ops.pgd_entry(k, pgdp, addr, next, walk);
      if (!err && (ops.p4d_entry || ops.pud_entry || ops.pmd_entry || ops.pte_entry)) err = yield* walk_p4d_range(k, pgdp, addr, next, walk);
    }
    if (err) break;
    pgdp = nextEntry(pgdp);
    addr = next;
  } while (addr !== end);
  return err;
});

/** __walk_page_range: no hugetlb VMA and no pre/post_vma in the modeled users. */
const __walk_page_range = kfunc('__walk_page_range', function* (k: Ctx, start: number, end: number, walk: MmWalk): Program<number> {
  return yield* walk_pgd_range(k, start, end, walk);
});

/** walk_page_range (v5.8): for each VMA (or gap) of [start, end), walk its page tables. */
export const walk_page_range = kfunc(
  'walk_page_range',
  function* (k: Ctx, start: number, end: number, ops: MmWalkOps, priv: unknown): Program<number> {
    if (start >= end) return -22; // -EINVAL
    // mmap_assert_locked(mm)
    BUG_ON(k.kernel.machine.mem.words[k.kernel.mm.mmap_lock] === 0, 'mmap_assert_locked: mmap_lock not held');
    const vmas = [...k.kernel.vmas].sort((a, b) => a.start - b.start);
    let i = vmas.findIndex((v) => v.end > start); // find_vma
    const walk: MmWalk = { ops, vma: null, no_vma: false, action: 'ACTION_SUBTREE', priv };
    let err = 0;
    do {
      const vma = i >= 0 && i < vmas.length ? vmas[i] : null;
      let next: number;
      if (!vma) {
        walk.vma = null;
        next = end;
      } else if (start < vma.start) {
        walk.vma = null;
        next = Math.min(end, vma.start);
      } else {
        walk.vma = vma;
        next = Math.min(end, vma.end);
        i++;
        // walk_page_test: no test_walk; the modeled VMAs are not VM_PFNMAP
      }
      if (walk.vma || ops.pte_hole) err = yield* __walk_page_range(k, start, next, walk);
      if (err) break;
      start = next;
    } while (start < end);
    return err;
  },
);

/** walk_page_range_novma (v5.8): the page tables of [start, end) whether or not VMAs cover them
 * (walk->no_vma: no split_huge_pud, pte_entry without the pte lock); callers hold mmap_lock. */
export const walk_page_range_novma = kfunc(
  'walk_page_range_novma',
  function* (k: Ctx, start: number, end: number, ops: MmWalkOps, priv: unknown): Program<number> {
    if (start >= end) return -22; // -EINVAL
    // mmap_assert_locked(mm)
    BUG_ON(k.kernel.machine.mem.words[k.kernel.mm.mmap_lock] === 0, 'mmap_assert_locked: mmap_lock not held');
    const walk: MmWalk = { ops, vma: null, no_vma: true, action: 'ACTION_SUBTREE', priv };
    return yield* __walk_page_range(k, start, end, walk);
  },
);
