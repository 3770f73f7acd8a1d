/**
 * mm/gup.c GUP-fast, as of v6.18 (linux-next), with the older forms as patch toggles:
 *   - without 'gup-speculative-ref' and 'gup-pte-recheck' (2667f50e8b81, v3.18): the 2008 x86
 *     gup_pte_range (arch/x86/mm/gup.c): get_page with a plain atomic add, no entry recheck;
 *     safety came from IRQs off alone;
 *   - without 'gup-folio-recheck' (c24d37322548, v5.14): try_get_folio does not recheck that the
 *     page still belongs to the folio it referenced;
 *   - without 'gup-pmd-recheck' (70cbc3cc78a9, v6.0): only the pte is rechecked.
 *
 * The walk runs with IRQs off, reads each level's entry into a local copy and derives the next
 * table from that copy, never allocates, and backs off (returns 0) on any none or non-present
 * entry. Memo of the access order: each pte is read twice (ptep_get_lockless, then the
 * ptep_get recheck); the shared pmd is read once per range plus a plain `*pmdp` per pte.
 * The rechecks `pte_val(pte) != pte_val(ptep_get(ptep))` and `pmd_val(pmd) !=
 * pmd_val(pmdp_get(pmdp))` are READ_ONCE of the whole entry: two 32-bit loads on x86-32 PAE
 * (low, then high; see src/kernel/arch/x86_32_pae.ts), one load elsewhere.
 *
 * Not modeled: gup_fast_folio_allowed (reads folio->mapping; anonymous memory only here),
 * gup_must_unshare (not reached: the ptes are writable), devmap/hugepd/pud-leaf paths,
 * arch_make_folio_accessible (s390 only), and the slow-path fallback of gup_fast_fallback.
 */
import { LoopBound, type Program } from '../../machine/effects.js';
import { PAGE_SIZE, _PAGE_RW } from '../../machine/mmu.js';
import { guarded } from '../guards.js';
import { BUG_ON, type Ctx, kfunc, note, observe } from '../kernel.js';
import { local_irq_restore, local_irq_save } from '../sync/irqflags.js';
import { rcu_read_lock, rcu_read_unlock } from '../sync/rcu.js';
import { pte_offset_map_rcu_lock, pte_unmap_rcu_unlock } from './pgtable-generic.js';
import { raw_read_seqcount, read_seqcount_retry } from '../sync/seqcount.js';
import { folio_ref_add, folio_ref_count, folio_ref_try_add } from '../sync/refcount.js';
import { folio_test_set_flag } from './filemap.js';
import { GUP_PIN_COUNTING_BIAS, PG_head, PG_referenced } from './mm_types.js';
import {
  type EntryPtr,
  type TablePtr,
  deref,
  nextEntry,
  offset_lockless,
  pgd_offset,
  pmd_leaf,
  pmd_present,
  pmdp_get_lockless,
  pte_pfn,
  pte_present,
  ptep_get,
  ptep_get_lockless,
  READ_ONCE,
} from './pgtable.js';
import { folio_put_refs } from './swap.js';

export const FOLL_WRITE = 0x01;
export const FOLL_GET = 0x04;
export const FOLL_PIN = 0x40000;

/** How often try_get_folio may retry after a concurrent split before the execution is cut. */
export const TRY_GET_FOLIO_RETRIES = 2;

/** page_folio(page): READ_ONCE(page->compound_head). */
export function* page_folio(k: Ctx, page: number): Program<number> {
  const head = (yield { op: 'load', addr: k.kernel.memmap.field(page, 'compound_head'), width: 1 }) as number;
  return head & 1 ? head >>> 1 : page;
}

function* folio_test_large(k: Ctx, folio: number): Program<boolean> {
  const flags = (yield { op: 'load', addr: k.kernel.memmap.field(folio, 'flags'), width: 1 }) as number;
  return (flags & PG_head) !== 0;
}

/** try_get_folio: add-unless-zero on the folio, then check the page still belongs to it. */
export const try_get_folio = kfunc('try_get_folio', function* (k: Ctx, page: number, refs: number): Program<number> {
  for (let tries = 0; ; tries++) {
    if (tries > TRY_GET_FOLIO_RETRIES) throw new LoopBound('try_get_folio');
    const folio = yield* page_folio(k, page);
    if ((yield* folio_ref_count(k.kernel, folio)) < 0) return -1; // WARN_ON_ONCE
    // folio_ref_try_add: rcu_read_lock(); atomic_add_unless(&_refcount, refs, 0); rcu_read_unlock()
    yield* rcu_read_lock();
    const ok = yield* folio_ref_try_add(k.kernel, folio, refs);
    yield* rcu_read_unlock();
    if (!ok) {
      yield* note(`folio ${folio} is free or frozen: no reference taken`);
      if (k.kernel.machine.mem.use[folio].kind !== 'free') observe(k, 'try-get-on-frozen-folio', `GUP-fast's add-unless-zero failed on frozen folio ${folio}`);
      return -1;
    }
    if (k.seen.has(folio) && k.kernel.machine.mem.gen[folio] !== k.seen.get(folio))
      observe(k, 'speculative-ref-on-reused-page', `GUP-fast took a speculative reference on page ${folio}, freed and reallocated since it read the pte`);
    if (!k.kernel.has('gup-folio-recheck') || (yield* page_folio(k, page)) === folio) return folio;
    yield* note(`page ${page} left folio ${folio}: put and retry`);
    yield* folio_put_refs(k, folio, refs);
  }
});

/** try_grab_folio_fast: a reference, and for FOLL_PIN the pin (pincount or the bias). */
export const try_grab_folio_fast = kfunc(
  'try_grab_folio_fast',
  function* (k: Ctx, page: number, refs: number, flags: number): Program<number> {
    if (guarded(k, 'gup_fast:irq_off') && !k.kernel.has('gup-seqcount'))
      BUG_ON(k.kernel.machine.cpus[k.cpu].irqOn, '!irqs_disabled() in try_grab_folio_fast');
    if (flags & FOLL_GET) return yield* try_get_folio(k, page, refs);
    const folio = yield* try_get_folio(k, page, refs);
    if (folio < 0) return -1;
    if (yield* folio_test_large(k, folio)) yield { op: 'add', addr: k.kernel.memmap.field(folio, '_pincount'), delta: refs };
    else yield* folio_ref_add(k.kernel, folio, refs * (GUP_PIN_COUNTING_BIAS - 1));
    return folio; // smp_mb__after_atomic(): the model is sequentially consistent
  },
);

/** gup_put_folio: undo try_grab_folio_fast. */
export const gup_put_folio = kfunc('gup_put_folio', function* (k: Ctx, folio: number, refs: number, flags: number): Program<void> {
  if (flags & FOLL_PIN) {
    if (yield* folio_test_large(k, folio)) yield { op: 'add', addr: k.kernel.memmap.field(folio, '_pincount'), delta: -refs };
    else refs *= GUP_PIN_COUNTING_BIAS;
  }
  yield* folio_put_refs(k, folio, refs);
});

/** The 2008 x86 form: get_page(), an unconditional atomic increment. */
function* get_page_2008(k: Ctx, page: number): Program<number> {
  const folio = yield* page_folio(k, page);
  yield* folio_ref_add(k.kernel, folio, 1);
  return folio;
}

function addr_end(k: Ctx, level: number, addr: number, end: number): number {
  const g = k.kernel.machine.geometry;
  if (g.folded(level)) return end;
  const size = g.size(level);
  const boundary = (Math.floor(addr / size) + 1) * size;
  return Math.min(boundary, end);
}

export const gup_fast_pte_range = kfunc(
  'gup_fast_pte_range',
  function* (k: Ctx, pmd: number, pmdp: EntryPtr, addr: number, end: number, flags: number, pages: number[]): Program<boolean> {
    // pte_offset_map(&pmd, addr): rcu_read_lock (v6.6+); the pmd it checks is the local copy
    const rcu = guarded(k, 'gup_fast_pte_range:rcu_read_lock');
    if (rcu) yield* pte_offset_map_rcu_lock(k);
    const table = guarded(k, 'gup_fast_pmd_range:READ_ONCE(pmd)') ? pmd : yield* deref(k, pmdp);
    let ptep = offset_lockless(k, 1, table, addr) as TablePtr;
    let ret = false;
    out: {
      do {
        const pte = yield* ptep_get_lockless(k, ptep);
        if (!pte_present(pte)) break out; // pte_protnone / !pte_access_permitted
        if (flags & FOLL_WRITE && !(pte & _PAGE_RW)) break out;
        const page = pte_pfn(pte);
        if (!k.kernel.has('gup-speculative-ref')) {
          yield* get_page_2008(k, page);
        } else {
          const folio = yield* try_grab_folio_fast(k, page, 1, flags);
          if (folio < 0) break out;
          if (
            (k.kernel.has('gup-pmd-recheck') && pmd !== (yield* deref(k, pmdp, 'compare'))) ||
            (k.kernel.has('gup-pte-recheck') && pte !== (yield* ptep_get(k, ptep, 'compare')))
          ) {
            yield* note('recheck failed: entry changed under us, back off');
            yield* gup_put_folio(k, folio, 1, flags);
            break out;
          }
          // folio_set_referenced
          yield* folio_test_set_flag(k, folio, PG_referenced);
        }
        pages.push(page);
        ptep = nextEntry(ptep);
        addr += PAGE_SIZE;
      } while (addr !== end);
      ret = true;
    }
    if (rcu) yield* pte_unmap_rcu_unlock(k); // pte_unmap
    return ret;
  },
);

export const gup_fast_pmd_range = kfunc(
  'gup_fast_pmd_range',
  function* (k: Ctx, pudp: EntryPtr, pud: number, addr: number, end: number, flags: number, pages: number[]): Program<boolean> {
    let pmdp = offset_lockless(k, 2, pud, addr);
    do {
      // before 'gup-pmd-lockless' (v6.2): pmd_t pmd = READ_ONCE(*pmdp), a plain read of 64 bits
      const pmd = k.kernel.has('gup-pmd-lockless') ? yield* pmdp_get_lockless(k, pmdp) : yield* deref(k, pmdp);
      const next = addr_end(k, 2, addr, end);
      if (!pmd_present(pmd)) return false;
      if (pmd_leaf(pmd)) {
        if (!(yield* gup_fast_pmd_leaf(k, pmd, pmdp, addr, next, flags, pages))) return false;
      } else if (!(yield* gup_fast_pte_range(k, pmd, pmdp, addr, next, flags, pages))) return false;
      if (pmdp.kind === 'table') pmdp = nextEntry(pmdp);
      addr = next;
    } while (addr !== end);
    return true;
  },
);

/** gup_fast_pmd_leaf: a PMD-mapped THP: reference the folio, recheck the pmd. */
export const gup_fast_pmd_leaf = kfunc(
  'gup_fast_pmd_leaf',
  function* (k: Ctx, orig: number, pmdp: EntryPtr, addr: number, end: number, flags: number, pages: number[]): Program<boolean> {
    if (flags & FOLL_WRITE && !(orig & _PAGE_RW)) return false;
    const g = k.kernel.machine.geometry;
    const page = pte_pfn(orig); // pmd_page(orig): the head
    // record_subpages: the subpages of [addr, end), pointer arithmetic only
    const sub: number[] = [];
    for (let a = addr; a < end; a += PAGE_SIZE) sub.push(page + Math.floor((a % g.size(2)) / PAGE_SIZE));
    const refs = sub.length;
    const folio = yield* try_grab_folio_fast(k, page, refs, flags);
    if (folio < 0) return false;
    if (guarded(k, 'gup_fast_pmd_leaf:pmd_recheck') && orig !== (yield* deref(k, pmdp, 'compare'))) {
      yield* note('recheck failed: pmd changed, back off');
      observe(k, 'pmd-recheck-backs-off', 'GUP-fast referenced the THP, then saw the pmd change and dropped the reference');
      yield* gup_put_folio(k, folio, refs, flags);
      return false;
    }
    pages.push(...sub);
    yield* folio_test_set_flag(k, folio, PG_referenced);
    return true;
  },
);

/** The shared body of gup_fast_p4d_range and gup_fast_pud_range. */
function* walk_level(
  k: Ctx,
  level: number,
  parent: number,
  addr: number,
  end: number,
  flags: number,
  pages: number[],
): Program<boolean> {
  let p = offset_lockless(k, level, parent, addr);
  do {
    const v = yield* READ_ONCE(k, p);
    const next = addr_end(k, level, addr, end);
    if (!pmd_present(v)) return false;
    if (pmd_leaf(v)) return false; // pud/p4d leaves: not modeled (no scenario maps them for GUP)
    const ok = level === 3 ? yield* gup_fast_pmd_range(k, p, v, addr, next, flags, pages) : yield* gup_fast_pud_range(k, p, v, addr, next, flags, pages);
    if (!ok) return false;
    if (p.kind === 'table') p = nextEntry(p);
    addr = next;
  } while (addr !== end);
  return true;
}

export const gup_fast_pud_range = kfunc(
  'gup_fast_pud_range',
  function* (k: Ctx, _p4dp: EntryPtr, p4d: number, addr: number, end: number, flags: number, pages: number[]): Program<boolean> {
    return yield* walk_level(k, 3, p4d, addr, end, flags, pages);
  },
);

export const gup_fast_p4d_range = kfunc(
  'gup_fast_p4d_range',
  function* (k: Ctx, _pgdp: EntryPtr, pgd: number, addr: number, end: number, flags: number, pages: number[]): Program<boolean> {
    return yield* walk_level(k, 4, pgd, addr, end, flags, pages);
  },
);

export const gup_fast_pgd_range = kfunc(
  'gup_fast_pgd_range',
  function* (k: Ctx, addr: number, end: number, flags: number, pages: number[]): Program<void> {
    let pgdp = pgd_offset(k, addr);
    do {
      const pgd = yield* READ_ONCE(k, pgdp);
      const next = addr_end(k, 5, addr, end);
      if (pgd === 0) return;
      if (!(yield* gup_fast_p4d_range(k, pgdp, pgd, addr, next, flags, pages))) return;
      pgdp = nextEntry(pgdp);
      addr = next;
    } while (addr !== end);
  },
);

/** gup_fast: the lockless walk with IRQs off; FOLL_PIN also samples mm->write_protect_seq.
 * With the 'gup-seqcount' proposal the walk runs with IRQs on, bracketed by mm->replace_seq. */
export const gup_fast = kfunc('gup_fast', function* (k: Ctx, start: number, end: number, flags: number, pages: number[]): Program<number> {
  const wps = k.kernel.mm.write_protect_seq;
  const rs = k.kernel.mm.replace_seq;
  const seqcount = k.kernel.has('gup-seqcount');
  let seq = 0;
  let rseq = 0;
  if (flags & FOLL_PIN) {
    seq = yield* raw_read_seqcount(wps); // raw_seqcount_try_begin
    if (seq & 1) return 0;
  }
  if (seqcount) {
    rseq = yield* raw_read_seqcount(rs);
    if (rseq & 1) return 0;
    yield* gup_fast_pgd_range(k, start, end, flags, pages);
  } else if (guarded(k, 'gup_fast:irq_off')) {
    const irq = yield* local_irq_save();
    yield* gup_fast_pgd_range(k, start, end, flags, pages);
    yield* local_irq_restore(irq);
  } else yield* gup_fast_pgd_range(k, start, end, flags, pages);
  if ((flags & FOLL_PIN && (yield* read_seqcount_retry(wps, seq))) || (seqcount && (yield* read_seqcount_retry(rs, rseq)))) {
    yield* note('the sequence count moved: undo every pin');
    for (const page of pages.splice(0)) yield* gup_put_folio(k, yield* page_folio(k, page), 1, flags);
    return 0;
  }
  return pages.length;
});

/**
 * pin_user_pages_fast / get_user_pages_fast (gup_fast_fallback without the slow path): the
 * caller keeps the pages to the end of the scenario, like a DMA in flight; the oracles check
 * them then.
 */
export const gup_fast_fallback = kfunc(
  'gup_fast_fallback',
  function* (k: Ctx, start: number, nr_pages: number, flags: number): Program<number[]> {
    const pages: number[] = [];
    yield* gup_fast(k, start, start + nr_pages * PAGE_SIZE, flags, pages);
    const ghost = k.kernel.ghost;
    const mem = k.kernel.machine.mem;
    pages.forEach((pfn, i) => {
      // ghost: how many references this pin holds on its folio, for the refcount oracle
      const headWord = mem.words[k.kernel.memmap.field(pfn, 'compound_head')];
      const large = headWord & 1 || mem.words[k.kernel.memmap.field(pfn, 'flags')] & PG_head;
      const refs = flags & FOLL_PIN && !large && k.kernel.has('gup-speculative-ref') ? GUP_PIN_COUNTING_BIAS : 1;
      ghost.gup.push({ cpu: k.cpu, addr: start + i * PAGE_SIZE, pfn, refs, pin: (flags & FOLL_PIN) !== 0, gen: k.seen.get(pfn) });
    });
    yield* note(pages.length ? `returns page ${pages.join(', ')} to the caller` : 'returns no page (the slow path would take over)');
    return pages;
  },
);


