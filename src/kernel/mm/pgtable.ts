/**
 * include/linux/pgtable.h (v6.18-era) and the generic entry accessors: pointers to entries,
 * the *_offset helpers, READ_ONCE-style reads and the writers' stores.
 *
 * A pointer into a real table carries the frame's allocation generation as the walker saw it
 * (ghost), so that oracle 2 can flag a read of a table that was freed or reused meanwhile.
 * On a folded level the kernel's `*_offset_lockless(parentp, val, addr)` points at the
 * caller's stack copy `&val`: reading it is not a shared access, and the model makes none.
 */
import { type Program, Violation } from '../../machine/effects.js';
import { symbol } from '../introspect.js';
import { LEVEL_NAMES, PMD, PTE, _PAGE_ACCESSED, _PAGE_NX, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, _PAGE_USER, entryFlags, hi32, lo32, entryPfn, leaf, mkEntry, present, _PAGE_DIRTY } from '../../machine/mmu.js';
import type { Ctx } from '../kernel.js';

export interface TablePtr {
  kind: 'table';
  level: number;
  frame: number;
  gen: number;
  addr: number;
}
export interface LocalPtr {
  kind: 'local';
  level: number;
  value: number;
}
export type EntryPtr = TablePtr | LocalPtr;

export const pte_none = (v: number): boolean => v === 0;
/** pmd_none (x86): native_pmd_val truncated to unsigned long, i.e. the low word on 32-bit ("it
 * might be out of sync with upper half"). Every whole entry the model stores has a non-zero
 * low word unless it is 0, so on the 64-bit arches this is v === 0. */
export const pmd_none = (v: number): boolean => lo32(v) === 0;
export const pte_present = present;
export const pmd_present = present;
export const pmd_leaf = (v: number): boolean => present(v) && leaf(v);
export const pmd_trans_huge = pmd_leaf;
export const pte_pfn = entryPfn;
/** pte_dirty: the hardware (or the fault) marked the page written through this entry. */
export const pte_dirty = (v: number): boolean => (v & _PAGE_DIRTY) !== 0;
export const pmd_pfn = entryPfn;
/** pmd_bad (x86 pgtable.h): pmd_flags, USER and ACCESSED aside, are not exactly those of a
 * pte-table pmd (mk_table_entry: PRESENT | RW): a leaf, a non-present entry, or a flag of the
 * high word (NX) is bad. Callers test pmd_none and pmd_trans_huge first. */
export const pmd_bad = (v: number): boolean =>
  v >= _PAGE_NX || (entryFlags(v) & ~(_PAGE_USER | _PAGE_ACCESSED)) !== (_PAGE_PRESENT | _PAGE_RW);

/** Pointer to the entry for `addr` in the table `frame` at `level`. */
export function tableEntry(k: Ctx, level: number, frame: number, gen: number, addr: number): TablePtr {
  const g = k.kernel.machine.geometry;
  return { kind: 'table', level, frame, gen, addr: k.kernel.machine.mem.frameBase(frame) + 2 * g.index(level, addr) };
}

/** The next entry in the same table (ptep++ / pmdp++). */
export function nextEntry(p: TablePtr): TablePtr {
  return { ...p, addr: p.addr + 2 };
}

/** pgd_offset(mm, addr): mm->pgd is fixed for the life of the mm here, so no load. */
export function pgd_offset(k: Ctx, addr: number): TablePtr {
  const pgd = k.kernel.mm.pgd;
  return tableEntry(k, 5, pgd, k.kernel.machine.mem.gen[pgd], addr);
}

/**
 * p4d/pud/pmd_offset_lockless(parentp, parentval, addr) and pte_offset_map's table pointer:
 * the child table is derived from the value the walker read, never re-read from memory.
 */
export function offset_lockless(k: Ctx, level: number, parentVal: number, addr: number): EntryPtr {
  if (k.kernel.machine.geometry.folded(level)) return { kind: 'local', level, value: parentVal };
  const frame = entryPfn(parentVal);
  return tableEntry(k, level, frame, k.seen.get(frame) ?? -1, addr);
}

/** The generation of the frame the entry points at, as it is now (ghost, after the load): a
 * table for oracle 2, a data page to tell a reused page (GUP's speculative-reference exhibit). */
export function remember(k: Ctx, level: number, v: number): void {
  if (present(v) && (level === PTE || !leaf(v))) {
    const f = entryPfn(v);
    if (f < k.kernel.machine.mem.frames) k.seen.set(f, k.kernel.machine.mem.gen[f]);
  }
}

/**
 * Oracle 4 at an act (ghost, no step): the walker is about to act on the entry value `v` it read
 * at `p` (clear it as bad, ...). `v` must be a value once stored whole there. On the 64-bit
 * arches every value read was (one load); on x86-32 PAE a value assembled from two halves may
 * not be, even one that is not present (DESIGN §4: "a walker acts on an entry value that was
 * never stored whole").
 */
export function actsOn(k: Ctx, p: TablePtr, v: number, act: string): void {
  const m = k.kernel.machine;
  if (m.storedWhole(p.addr, v)) return;
  const hex = (x: number) => '0x' + x.toString(16);
  const stored = [...(m.wholeValues.get(p.addr) ?? [m.mem.read(p.addr, 2)])].map(hex).join(', ');
  throw new Violation(
    'torn-value',
    `${act} acts on ${hex(v)} at ${symbol(k.kernel, p.addr)} (low word ${hex(lo32(v))}, high word ${hex(hi32(v))}), ` +
      `a value never stored whole there (whole values stored there: ${stored})`,
  );
}

function check(p: TablePtr) {
  return { frame: p.frame, gen: p.gen, level: p.level };
}

/**
 * READ_ONCE(*p) of a whole entry (or the stack copy on a folded level). READ_ONCE is a volatile
 * access of the entry's size, and compiletime_assert_rwonce_type (compiler_types.h) admits
 * 8-byte `long long` on 32-bit: on i386 it compiles to two 32-bit loads with no retry. So it is
 * the arch's plain read: one 64-bit load on the 64-bit arches, two halves on x86-32 PAE.
 * `use` as for deref.
 */
export function* READ_ONCE(k: Ctx, p: EntryPtr, use?: 'compare'): Program<number> {
  if (p.kind === 'local') return p.value;
  return yield* k.arch.plain_read(k, p, use);
}

/** A plain C dereference `*p` of an entry. The same accesses as READ_ONCE (the model has no
 * compiler that could re-load or fuse a plain read). `use` is 'compare' when the value is only
 * compared with an earlier one (a recheck). */
export function* deref(k: Ctx, p: EntryPtr, use?: 'compare'): Program<number> {
  if (p.kind === 'local') return p.value;
  return yield* k.arch.plain_read(k, p, use);
}

/** ptep_get / pmdp_get (include/linux/pgtable.h): READ_ONCE(*ptep). */
export const ptep_get = READ_ONCE;
export const pmdp_get = READ_ONCE;

/** ptep_get_lockless / pmdp_get_lockless: READ_ONCE unless the arch reads halves. */
export function* ptep_get_lockless(k: Ctx, p: EntryPtr): Program<number> {
  if (p.kind === 'local') return p.value;
  return yield* k.arch.get_lockless(k, p);
}
export const pmdp_get_lockless = ptep_get_lockless;

/** set_pte / set_pmd_at / pmd_populate: one 64-bit store unless the arch writes halves. */
export function* set_entry(k: Ctx, p: TablePtr, v: number): Program<void> {
  yield* k.arch.set_entry(k, p, v);
}

/** pte_clear / pmd_clear: one store of 0 unless the arch clears in halves (x86-32 PAE). */
export function* clear_entry(k: Ctx, p: TablePtr): Program<void> {
  if (k.arch.clear_entry) yield* k.arch.clear_entry(k, p);
  else yield* store64(k, p, 0);
}

/** ptep_get_and_clear / pmdp_huge_get_and_clear: an atomic exchange with 0. */
export function* get_and_clear(k: Ctx, p: TablePtr): Program<number> {
  return yield* xchg_entry(k, p, 0);
}

/** xchg on a whole entry (pmdp_establish, ptep_get_and_clear): one atomic step; the old value. */
export function* xchg_entry(_k: Ctx, p: TablePtr, v: number): Program<number> {
  return (yield { op: 'xchg', addr: p.addr, width: 2, value: v, check: check(p) }) as number;
}

/** cmpxchg on a whole entry (ptep_set_access_flags' loop, pmdp_test_and_clear_young): stores
 * `v` only if the entry is `old`, in one atomic step; returns the value found. */
export function* cmpxchg_entry(_k: Ctx, p: TablePtr, old: number, v: number): Program<number> {
  return (yield { op: 'cmpxchg', addr: p.addr, width: 2, expected: old, value: v, check: check(p) }) as number;
}

/** The architectures' default accessors (64-bit entries read and written whole): one load. */
export function* load64(k: Ctx, p: TablePtr): Program<number> {
  const v = (yield { op: 'load', addr: p.addr, width: 2, check: check(p), follow: true }) as number;
  remember(k, p.level, v);
  return v;
}
export function* store64(_k: Ctx, p: TablePtr, v: number): Program<void> {
  yield { op: 'store', addr: p.addr, width: 2, value: v, check: check(p) };
}

/** A swap pte (swp_entry_to_pte): not present, the swap slot in the pfn field, marked. */
export const _PAGE_SWP_MARK = 0x100;
export function mk_swap_pte(slot: number): number {
  return mkEntry(slot, _PAGE_SWP_MARK);
}
export function is_swap_pte(v: number): boolean {
  return !present(v) && (v & _PAGE_SWP_MARK) !== 0;
}
export const swp_offset = entryPfn;

/** A migration entry (make_writable/readable_migration_entry + swp_entry_to_pte): not present,
 * the pfn kept, marked. */
export const _PAGE_MIGRATION_MARK = 0x800;
export function mk_migration_pte(pfn: number, write: boolean): number {
  return mkEntry(pfn, _PAGE_MIGRATION_MARK | (write ? 0x2 : 0));
}
export function is_migration_pte(v: number): boolean {
  return !present(v) && (v & _PAGE_MIGRATION_MARK) !== 0;
}
/** pmd_mkinvalid (x86): clear PRESENT, keep PSE and the pfn. GUP-fast sees a non-present pmd
 * (the kernel's pmd_present() still says yes for PSE, and pmd_access_permitted() then fails;
 * both make GUP-fast back off). */
export function pmd_mkinvalid(v: number): number {
  return v - (v & _PAGE_PRESENT);
}

/** pmd_populate: a non-leaf pmd pointing at a pte table. */
export function mk_table_entry(pfn: number): number {
  return mkEntry(pfn, _PAGE_PRESENT | 0x2 | 0x4 | 0x20);
}
/** A huge pmd for a folio (folio_mk_pmd + pmd_mkdirty + maybe_pmd_mkwrite). */
export function mk_huge_pmd(pfn: number, flags: number): number {
  return mkEntry(pfn, flags | _PAGE_PRESENT | _PAGE_PSE);
}

export function levelName(level: number): string {
  return LEVEL_NAMES[level];
}

export { PMD, PTE };

/** pud_none: x86-64 (the KNL erratum mask aside) tests the whole entry. */
export const pud_none = (v: number): boolean => v === 0;
export const pud_present = present;
/** pud_leaf / pud_large (x86): a present entry with the PSE bit. */
export const pud_leaf = (v: number): boolean => present(v) && leaf(v);

/**
 * The plain `X_offset(parentp, addr)` of a walker that holds a pointer, not a value
 * (pud_offset(p4dp), pmd_offset(pudp), ...): it dereferences *parentp again (`deref`, one
 * shared load) and derives the child table from the value that load returns. On a folded
 * level the kernel's offset returns the parent pointer itself (pgtable-nop4d.h: `(p4d_t *)pgd`),
 * so the entry stays in the parent's table memory: no load here, and later reads of the child
 * entry read that memory.
 */
export function* offset_plain(k: Ctx, level: number, parentp: EntryPtr, addr: number): Program<EntryPtr> {
  if (k.kernel.machine.geometry.folded(level)) return parentp;
  const parent = yield* deref(k, parentp);
  return offset_lockless(k, level, parent, addr);
}
