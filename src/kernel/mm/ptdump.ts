/**
 * mm/ptdump.c (v5.8..v5.10) with its x86 caller: reading /sys/kernel/debug/page_tables/
 * current_kernel (arch/x86/mm/debug_pagetables.c ptdump_curknl_show ->
 * ptdump_walk_pgd_level_debugfs(m, current->mm, false) -> ptdump_walk_pgd_level_core ->
 * ptdump_walk_pgd) dumps the reading process's own page tables, user half included, with
 * walk_page_range_novma under mmap_read_lock: a page walker with no VMA, so no split_huge_pud,
 * racing the process's other threads (faults, MADV_DONTNEED), which hold mmap_lock for read too.
 *
 * Each callback reads its entry once with READ_ONCE and reports leaves to note_page; with the
 * RFC 'pagewalk-pud-read-once' ptdump_pud_entry takes the value the walker read instead
 * (`ptdump_pud_entry(pud_t val, pud_t *pudp, ...)`).
 *
 * Simplifications: note_page (x86 dump_pagetables.c: the printing state machine, W+X check) and
 * effective_prot compute from the values only; they are ghost here (the noted entries are kept in
 * the walk's private data). The KASAN early-shadow shortcuts are configured out. The walk covers
 * the range the caller gives, not x86's whole `ptdump_ranges` (the other entries of the address
 * space change nothing the racing threads touch).
 */
import type { Program } from '../../machine/effects.js';
import { type Ctx, kfunc, note } from '../kernel.js';
import { mmap_read_lock, mmap_read_unlock } from './mmap_lock.js';
import { type MmWalk, type MmWalkOps, walk_page_range_novma } from './pagewalk.js';
import { type EntryPtr, READ_ONCE, pmd_leaf, pud_leaf } from './pgtable.js';

/** struct ptdump_state, reduced to what note_page was told: (addr, level, value). */
export interface PtdumpState {
  notes: Array<{ addr: number; level: number; val: number }>;
}

function note_page(walk: MmWalk, addr: number, level: number, val: number): void {
  (walk.priv as PtdumpState).notes.push({ addr, level, val });
}

/** x86: no 512 GiB pages (p4d_large is 0), and pgd_leaf is the generic 0. */
const p4d_leaf = (_v: number): boolean => false;
const pgd_leaf = (_v: number): boolean => false;

const ptdump_pgd_entry = kfunc('ptdump_pgd_entry', function* (k: Ctx, pgdp: EntryPtr, addr: number, _next: number, walk: MmWalk): Program<number> {
  const val = yield* READ_ONCE(k, pgdp);
  if (pgd_leaf(val)) note_page(walk, addr, 0, val);
  return 0;
});

const ptdump_p4d_entry = kfunc('ptdump_p4d_entry', function* (k: Ctx, p4dp: EntryPtr, addr: number, _next: number, walk: MmWalk): Program<number> {
  const val = yield* READ_ONCE(k, p4dp); // p4d folded: the pgd entry
  if (p4d_leaf(val)) note_page(walk, addr, 1, val);
  return 0;
});

/** ptdump_pud_entry: 2020 `pud_t val = READ_ONCE(*pud)`; with the RFC the walker's value. */
const ptdump_pud_entry = kfunc(
  'ptdump_pud_entry',
  function* (k: Ctx, pudp: EntryPtr, addr: number, _next: number, walk: MmWalk, passed: number | undefined): Program<number> {
    const val = passed !== undefined ? passed : yield* READ_ONCE(k, pudp);
    if (pud_leaf(val)) {
      note_page(walk, addr, 2, val);
      yield* note(`ptdump: huge pud 0x${val.toString(16)} noted as a leaf`);
    }
    return 0;
  },
);

const ptdump_pmd_entry = kfunc('ptdump_pmd_entry', function* (k: Ctx, pmdp: EntryPtr, addr: number, _next: number, walk: MmWalk): Program<number> {
  const val = yield* READ_ONCE(k, pmdp);
  if (pmd_leaf(val)) note_page(walk, addr, 3, val);
  return 0;
});

const ptdump_pte_entry = kfunc('ptdump_pte_entry', function* (k: Ctx, ptep: EntryPtr, addr: number, _next: number, walk: MmWalk): Program<number> {
  note_page(walk, addr, 4, yield* READ_ONCE(k, ptep));
  return 0;
});

const ptdump_hole = kfunc('ptdump_hole', function* (_k: Ctx, addr: number, _next: number, depth: number, walk: MmWalk): Program<number> {
  note_page(walk, addr, depth, 0);
  return 0;
});

export const ptdump_ops: MmWalkOps = {
  name: 'ptdump_ops',
  pgd_entry: ptdump_pgd_entry,
  p4d_entry: ptdump_p4d_entry,
  pud_entry: ptdump_pud_entry,
  pmd_entry: ptdump_pmd_entry,
  pte_entry: ptdump_pte_entry,
  pte_hole: ptdump_hole,
};

/** ptdump_walk_pgd: mmap_read_lock, walk_page_range_novma over the range, unlock; the notes. */
export const ptdump_walk_pgd = kfunc('ptdump_walk_pgd', function* (k: Ctx, start: number, end: number): Program<PtdumpState> {
  const st: PtdumpState = { notes: [] };
  yield* mmap_read_lock(k);
  yield* walk_page_range_novma(k, start, end, ptdump_ops, st);
  yield* mmap_read_unlock(k);
  return st;
});
