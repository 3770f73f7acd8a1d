/**
 * npm run bench:spin [-- --json] [-- --quick]: a peer model checker on the collapse question.
 *
 * For each collapse row this file supports, it writes a Promela model of the same two paths
 * mmrace runs (GUP-fast on CPU 0, khugepaged's collapse_huge_page on CPU 1), at the same
 * granularity: one atomic Promela statement per step of the mmrace model (each shared-memory
 * access, lock operation, IRQ flag change, IPI send/enter/exit/wait, TLB flush, allocation and
 * free), in the same order, with the same branches. The initial state (page-table entries,
 * struct page fields, frame data and use tags) is read from the mmrace scenario's machine, and
 * the toggles from its kernel profile and arch: the pmd recheck (70cbc3cc78a9) on or off, the
 * TLB flush by IPI (x86-64) or broadcast TLBI (arm64), and the v6.1 sync IPI (2ba99c5e0881).
 * The oracles are mmrace's for this question, as Promela assertions: stale-reference and
 * refcount balance on the final state (a monitor process), refcount underflow / increment of a
 * zero count / double free and pt-uaf inline, BUG_ONs inline, deadlock as spin's invalid end
 * state.
 *
 * Then it runs Debian's spin on each model (spin -a; gcc; ./pan) and mmrace's check on the
 * catalog row, and prints both verdicts, spin's states and times (generate + compile + verify,
 * and verify alone), mmrace's executions and time, and their ratio. Median of 3 runs (1 with
 * --quick).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { check } from '../src/explore/check.js';
import { archByName } from '../src/kernel/arch/index.js';
import { resolvePatches } from '../src/kernel/patches.js';
import { GUP_PIN_COUNTING_BIAS, PG_head, PG_locked, PG_lru, PG_referenced, PG_swapcache, PG_uptodate } from '../src/kernel/mm/mm_types.js';
import { POISON_WORD } from '../src/machine/memory.js';
import { PAGE_SIZE, PGD, PMD, PTE, PUD, _PAGE_ACCESSED, _PAGE_DIRTY, _PAGE_PRESENT, _PAGE_PSE, _PAGE_RW, entryPfn, mkEntry } from '../src/machine/mmu.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import { specFor } from '../src/scenarios/collapse.js';
import type { Scenario } from '../src/scenarios/scenario.js';

export const SPIN = '/usr/bin/spin';
/** The rows the Promela generator covers (powerpc's radix pmdp_collapse_flush is not generated). */
export const SPIN_ROWS = [
  'collapse/arm64-no-recheck',
  'collapse/arm64-pmd-recheck',
  'collapse/x86-64-pmd-recheck',
  'collapse/x86-64-ipi-no-recheck',
  'collapse/arm64-sync-ipi-no-recheck',
];

/** What differs between the rows, for the generator. */
export interface Toggles {
  /** gup_fast_pte_range re-reads *pmdp after taking the reference (70cbc3cc78a9, v6.0) */
  pmdRecheck: boolean;
  /** pmdp_collapse_flush's TLB flush: IPI to the mm's other CPUs and wait (x86-64), or broadcast TLBI (arm64) */
  flush: 'ipi' | 'tlbi';
  /** tlb_remove_table_sync_one after the flush (2ba99c5e0881, v6.1; an IPI only with RCU table free) */
  syncIpi: boolean;
  /** pte_offset_map / pte_unmap take and drop rcu_read_lock (a349d72fd9ef, v6.6) */
  pteMapRcu: boolean;
}

export function togglesFor(s: Pick<Scenario, 'id' | 'config'>): Toggles {
  const arch = archByName(s.config.arch);
  const p = resolvePatches(s.config.kernel, s.config.patches);
  let flush: Toggles['flush'];
  if (arch.name === 'arm64') flush = 'tlbi';
  else if (arch.name === 'x86-64') flush = 'ipi';
  else throw new Error(`${s.id}: the Promela generator covers arm64 and x86-64 only (not ${arch.name})`);
  for (const need of ['gup-speculative-ref', 'gup-pte-recheck', 'gup-folio-recheck'])
    if (!p.has(need)) throw new Error(`${s.id}: the Promela generator assumes '${need}'`);
  if (p.has('gup-seqcount')) throw new Error(`${s.id}: the gup-seqcount proposal is not generated`);
  if ((s.config.cpus ?? 2) !== 2 || s.config.geometry || (s.config.mutations ?? []).length)
    throw new Error(`${s.id}: the Promela generator covers two CPUs, the default geometry and no mutants`);
  return { pmdRecheck: p.has('gup-pmd-recheck'), flush, syncIpi: p.has('khugepaged-sync-ipi') && arch.rcuTableFree, pteMapRcu: p.has('pte-offset-map-rcu') };
}

/** The part of the scenario's initial machine the two paths can touch, read from mmrace's world. */
export interface Layout {
  frames: number;
  /** GUP's address, and the index of its entry at each level */
  addr: number;
  idx: { pgd: number; pud: number; pmd: number; pte: number };
  /** table frames on the walk */
  pgdT: number;
  pudT: number;
  pmdT: number;
  ptT: number;
  pgd: number;
  pud: number;
  pmd: number;
  ptes: number[];
  thpOrder: number;
  use: number[];
  gen: number[];
  data: number[];
  page: Record<'flags' | '_refcount' | '_mapcount' | '_pincount' | 'compound_head' | 'order', number[]>;
  pmdHugePte: number;
}

const U_FREE = 0, U_DATA = 1, U_TABLE = 2, U_OTHER = 3;

export function layoutFor(s: Scenario): Layout {
  const world = s.build(s.config);
  const m = world.machine;
  const mem = m.mem;
  const g = m.geometry;
  const addr = specFor(s.config).cpus[0] as { gup_fast: { addr: number } };
  const va = addr.gup_fast.addr;
  // the named words of the static region: struct page fields and mm fields
  const named = new Map<string, number>();
  for (let a = mem.frames * mem.frameWords; a < mem.size; a++) named.set(world.symbol(a), a);
  const word = (name: string): number => {
    const a = named.get(name);
    if (a === undefined) throw new Error(`no word named '${name}'`);
    return mem.words[a];
  };
  for (const n of ['mm->write_protect_seq', 'mm->mmap_lock', 'anon_vma->rwsem'])
    if (word(n) !== 0) throw new Error(`${n} is not 0 initially`);
  const entry = (table: number, i: number) => mem.read(mem.frameBase(table) + 2 * i, 2);
  // the walk: pgd, pud, pmd unfolded, p4d folded (the default geometry)
  if (g.folded(PUD) || !g.folded(PGD - 1)) throw new Error('the generator covers the default geometry (p4d folded, pud not)');
  const pgdT = m.root[0];
  const idx = { pgd: g.index(PGD, va), pud: g.index(PUD, va), pmd: g.index(PMD, va), pte: g.index(PTE, va) };
  const pgd = entry(pgdT, idx.pgd);
  const pudT = entryPfn(pgd);
  const pud = entry(pudT, idx.pud);
  const pmdT = entryPfn(pud);
  const pmd = entry(pmdT, idx.pmd);
  const ptT = entryPfn(pmd);
  const n = g.entries(PTE);
  const ptes = Array.from({ length: n }, (_, i) => entry(ptT, i));
  // the other entries of the walked tables map nothing (so the refcount oracle's mappings are
  // the pmd and the pte table alone)
  for (const [t, lvl, keep] of [[pgdT, PGD, idx.pgd], [pudT, PUD, idx.pud], [pmdT, PMD, idx.pmd]] as const)
    for (let i = 0; i < g.entries(lvl); i++) if (i !== keep && entry(t, i) !== 0) throw new Error(`table ${t} has another entry ${i}`);
  const frames = mem.frames;
  const f = (field: string) => Array.from({ length: frames }, (_, p) => word(`page ${p}->${field}`));
  const use = Array.from({ length: frames }, (_, p) => {
    const u = mem.use[p];
    return u.kind === 'free' ? U_FREE : u.kind === 'data' ? U_DATA : u.kind === 'table' ? U_TABLE : U_OTHER;
  });
  const data = Array.from({ length: frames }, (_, p) => {
    const v = mem.words[mem.frameBase(p)];
    if (v === POISON_WORD) return -1;
    if (v > 32767) throw new Error(`data word of frame ${p} does not fit a short`);
    return v;
  });
  for (const v of [pgd, pud, pmd, ...ptes]) if (v >= 2 ** 31) throw new Error('entry does not fit a Promela int');
  for (let p = 0; p < frames; p++) if (mkEntry(p, 0) !== p * PAGE_SIZE) throw new Error('frame numbers are not pfns');
  return {
    frames, addr: va, idx, pgdT, pudT, pmdT, ptT, pgd, pud, pmd, ptes, thpOrder: g.thpOrder, use,
    gen: Array.from(mem.gen), data,
    page: { flags: f('flags'), _refcount: f('_refcount'), _mapcount: f('_mapcount'), _pincount: f('_pincount'), compound_head: f('compound_head'), order: f('order') },
    pmdHugePte: word(`page ${pmdT}->pmd_huge_pte`),
  };
}

export interface GranularityOptions {
  countSteps?: boolean;
  /** (CPU 0 task steps, CPU 1 steps, CPU 0 IRQ steps, page GUP returned or -1, 1 if the collapse installed the huge pmd) */
  allowed?: number[][];
}

/** Unique labels for generated code. */
class Labels {
  private n = 0;
  next(base: string): string {
    return `${base}_${this.n++}`;
  }
}

/**
 * The Promela model. Each `atomic { ... }` is one step of the mmrace model: the shared access
 * (or lock, IRQ, IPI, TLB, alloc/free effect) plus the thread's local bookkeeping of it. CPU 0's
 * steps are guarded by `!in_irq0`: while the IPI handler runs on CPU 0 its task does not.
 * Branches on local values sit between steps (spin treats them as local, 'safe' transitions).
 */
export function promela(t: Toggles, L: Layout, title = '', opts: GranularityOptions = {}): string {
  // countSteps (for the granularity test): per-thread step counters incremented inside every
  // step, printed by the oracle process; with `allowed`, they are state variables and the final
  // check asserts, instead of the oracles, that the counts and the outcome are those of one of
  // the given mmrace executions
  const count = (c: string) => (opts.countSteps ? `; ${c}++` : '');
  const NF = L.frames;
  const NB = 1 << L.thpOrder;
  const lab = new Labels();
  const HUGE_FLAGS = _PAGE_RW | _PAGE_DIRTY | _PAGE_ACCESSED | _PAGE_PRESENT | _PAGE_PSE;
  const TABLE_ENTRY_PT = mkEntry(L.ptT, _PAGE_PRESENT | 0x2 | 0x4 | 0x20);
  const subidx = Math.floor((L.addr % (PAGE_SIZE * NB)) / PAGE_SIZE);
  const out: string[] = [];
  const emit = (...s: string[]) => out.push(...s);

  // ---- shared steps, parameterized by the step wrapper of the CPU (A: CPU 0, B: CPU 1) ----
  type W = (body: string) => string;
  /** free_frozen_pages(f, o): tails' compound_head, flags, order, then the free (poison). */
  const freeFrozen = (X: W, f: string, o: string, last = ''): string[] => {
    const tails = Array.from({ length: NB - 1 }, (_, i) => X(`chead[${f} + ${i + 1}] = 0`));
    const freeBlock = (nb: number) =>
      Array.from({ length: nb }, (_, j) => `assert(use[${f} + ${j}] != U_FREE); use[${f} + ${j}] = U_FREE; data[${f} + ${j}] = POISON`).join('; ');
    return [
      'if',
      `:: ${o} == 0 -> ${X(`flags[${f}] = 0`)}; ${X(`${freeBlock(1)}${last}`)}`,
      `:: ${o} == THP -> ${[...tails, X(`flags[${f}] = 0`), X(`order[${f}] = 0`), X(`${freeBlock(NB)}${last}`)].join('; ')}`,
      `:: else -> assert(false) /* no other order in this question */`,
      'fi',
    ];
  };
  /** folio_put_refs(f, refs): atomic_sub_return, and the free at zero. `last` runs in the last step. */
  const folioPutRefs = (X: W, f: string, refs: string, last = ''): string[] => [
    X(`refcount[${f}] = refcount[${f}] - ${refs}; assert(refcount[${f}] >= 0); z = (refcount[${f}] == 0)` +
      (last ? `; if :: !z -> skip${last} :: else -> skip fi` : '')),
    'if',
    `:: z -> ${X(`o = order[${f}]`)};`,
    ...freeFrozen(X, f, 'o', last).map((s) => '   ' + s),
    ':: else -> skip',
    'fi;',
  ];

  emit(
    `/* ${title}`,
    ` * generated by bench/spin.ts from the mmrace scenario: pmd recheck ${t.pmdRecheck ? 'on' : 'off'}, flush by ${t.flush === 'ipi' ? 'IPI' : 'broadcast TLBI'}, sync IPI ${t.syncIpi ? 'on' : 'off'}.`,
    ` * One atomic statement = one mmrace step. */`,
    `#define NF ${NF}`,
    `#define NPTE ${L.ptes.length}`,
    `#define THP ${L.thpOrder}`,
    `#define PAGE ${PAGE_SIZE}`,
    `#define BIAS ${GUP_PIN_COUNTING_BIAS}`,
    `#define POISON (-1) /* PAGE_POISON in a frame's data word */`,
    `#define U_FREE ${U_FREE}`,
    `#define U_DATA ${U_DATA}`,
    `#define U_TABLE ${U_TABLE}`,
    `#define PT ${L.ptT} /* the pte table of the range */`,
    `#define PRESENT(v) (((v) & ${_PAGE_PRESENT}) != 0)`,
    `#define LEAF(v) (PRESENT(v) && ((v) & ${_PAGE_PSE}) != 0)`,
    `#define PFN(v) ((v) / PAGE)`,
    `#define FOLIO(p, hd) ((hd) % 2 == 1 -> (hd) / 2 : (p))`,
    `#define PG_locked ${PG_locked}`,
    `#define PG_referenced ${PG_referenced}`,
    `#define PG_uptodate ${PG_uptodate}`,
    `#define PG_lru ${PG_lru}`,
    `#define PG_head ${PG_head}`,
    `#define PG_swapcache ${PG_swapcache}`,
    `#define FLUSH_TLB_FUNC 1`,
    `#define DO_NOTHING 2`,
    '',
    '/* page tables on the walk to the address (the other entries of these tables are empty) */',
    `int pgd0 = ${L.pgd}, pud0 = ${L.pud}, pmd1 = ${L.pmd};`,
    `int pte[NPTE];`,
    `byte pmd_huge_pte = ${L.pmdHugePte}; /* ptdesc->pmd_huge_pte of the pmd table */`,
    '/* struct page fields and frames */',
    'short refcount[NF], mapcount[NF], pincount[NF], flags[NF];',
    'byte chead[NF], order[NF], use[NF], gen[NF];',
    'short data[NF]; /* the one data word of each frame */',
    '/* locks and mm */',
    'short mmap_lock, anon_vma; /* rwsems: n readers, -1 a writer */',
    'bit ptl_pmd, ptl_pte;',
    'byte wps; /* mm->write_protect_seq */',
    '/* CPUs: IRQ flag, in-IRQ, RCU nesting, TLB flush markers (no user access: TLB contents are not modeled) */',
    'bit irq_on0 = 1, in_irq0;',
    'byte rcu0, rcu1;',
    'bit tlbi_done, tlb0_flushed;',
    'byte ipi_queued, ipi_pending;',
    '/* ghost, for the final-state oracles (no step in mmrace) */',
    'short gup_page = -1; byte gup_gen; bit gup_hasgen, gup_done, khp_done, cut;',
    '/* scratch of the final check (inside one d_step; hidden: not part of the state) */',
    'hidden short held[NF];',
    'hidden byte k;',
    ...(opts.countSteps ? [`${opts.allowed ? '' : 'hidden '}short steps0, steps1, steps2; /* steps per thread (CPU 0 task, CPU 1, CPU 0 IRQ) */`] : []),
    '',
  );

  // ---- CPU 0: pin_user_pages_fast(addr, 1, FOLL_PIN | FOLL_WRITE) ----
  const A: W = (b) => `atomic { !in_irq0 -> ${b}${count('steps0')} }`;
  /** try_grab_folio_fast(page, 1, FOLL_PIN): try_get_folio, then the pin. On failure: goto fail. */
  const tryGrab = (fail: string): string[] => {
    const retry = lab.next('try_get_folio');
    return [
      'tries = 0;',
      `${retry}:`,
      A('hd = chead[page]; folio = FOLIO(page, hd)') + ' /* page_folio */',
      A('v = refcount[folio]') + ' /* folio_ref_count: WARN_ON_ONCE(< 0) */',
      `if :: v < 0 -> goto ${fail} :: else -> skip fi;`,
      A('rcu0++'),
      A('if :: refcount[folio] != 0 -> refcount[folio] = refcount[folio] + 1; ok = 1 :: else -> ok = 0 fi') + ' /* atomic_add_unless */',
      A('assert(rcu0 > 0); rcu0--'),
      `if :: !ok -> goto ${fail} :: else -> skip fi;`,
      A('hd = chead[page]') + ' /* the page still in the folio? */',
      'if',
      ':: FOLIO(page, hd) != folio ->',
      ...folioPutRefs(A, 'folio', '1').map((s) => '   ' + s),
      `   tries++; if :: tries > 2 -> goto cut_exec :: else -> goto ${retry} fi`,
      ':: else -> skip',
      'fi;',
      A('fl = flags[folio]') + ' /* folio_test_large */',
      'if',
      ':: (fl & PG_head) != 0 -> ' + A('pincount[folio] = pincount[folio] + 1'),
      `:: else -> ${A('assert(refcount[folio] > 0); refcount[folio] = refcount[folio] + BIAS - 1')} /* folio_ref_add */`,
      'fi;',
    ];
  };
  /** gup_put_folio(folio, 1, FOLL_PIN) */
  const gupPut = (): string[] => [
    A('fl = flags[folio]'),
    'if',
    ':: (fl & PG_head) != 0 -> ' + A('pincount[folio] = pincount[folio] - 1') + '; refs = 1',
    ':: else -> refs = BIAS',
    'fi;',
    ...folioPutRefs(A, 'folio', 'refs'),
  ];
  const record = 'gup_page = got; gup_gen = pgen; gup_hasgen = hasgen; gup_done = 1';
  const ptePtr = `pte[${L.idx.pte}]`;
  const chkPt = 'assert(use[PT] == U_TABLE && gen[PT] == ptgen)'; // oracle 2 (pt-uaf) on a pte-table access
  emit(
    'proctype gup() {',
    '  int seq, pgdv, pudv, pmdv, ptev, v;',
    '  short page, folio, hd, refs, o, got = -1;',
    '  short fl;',
    '  byte tries, ptgen, pgen;',
    '  bit ok, z, hasgen, retry;',
    ...[
      A('seq = wps') + ' /* raw_seqcount_try_begin */',
      'if :: seq % 2 == 1 -> goto done :: else -> skip fi;',
      A('assert(irq_on0); irq_on0 = 0') + ' /* local_irq_save */',
      A(`pgdv = pgd0`),
      'if :: pgdv == 0 -> goto restore :: else -> skip fi;',
      A(`pudv = pud0`),
      'if :: !PRESENT(pudv) || LEAF(pudv) -> goto restore :: else -> skip fi;',
      A(`pmdv = pmd1; if :: PRESENT(pmdv) && !LEAF(pmdv) -> assert(PFN(pmdv) == PT); ptgen = gen[PT] :: else -> skip fi`) + ' /* READ_ONCE(*pmdp) */',
      'if',
      ':: !PRESENT(pmdv) -> goto restore',
      ':: LEAF(pmdv) -> goto pmd_leaf',
      ':: else -> skip',
      'fi;',
      '/* gup_fast_pte_range */',
      ...(t.pteMapRcu ? [A('rcu0++') + ' /* pte_offset_map */'] : []),
      A(`${chkPt}; ptev = ${ptePtr}; if :: PRESENT(ptev) -> pgen = gen[PFN(ptev)] :: else -> skip fi`) + ' /* ptep_get_lockless */',
      'if :: !PRESENT(ptev) || (ptev & 2) == 0 -> goto pte_out :: else -> skip fi;',
      'page = PFN(ptev); hasgen = 1;',
      ...tryGrab('pte_out'),
      ...(t.pmdRecheck
        ? [
            A('v = pmd1') + ' /* pmd recheck (70cbc3cc78a9) */',
            'if',
            ':: v != pmdv ->',
            ...gupPut().map((s) => '   ' + s),
            '   goto pte_out',
            ':: else -> skip',
            'fi;',
          ]
        : []),
      A(`${chkPt}; v = ${ptePtr}; if :: PRESENT(v) -> pgen = gen[PFN(v)] :: else -> skip fi`) + ' /* pte recheck */',
      'if',
      ':: v != ptev ->',
      ...gupPut().map((s) => '   ' + s),
      '   goto pte_out',
      ':: else -> skip',
      'fi;',
      A('flags[folio] = flags[folio] | PG_referenced') + ' /* folio_set_referenced */',
      'got = page;',
      'pte_out:',
      ...(t.pteMapRcu ? [A('assert(rcu0 > 0); rcu0--') + ' /* pte_unmap */'] : []),
      'goto restore;',
      'pmd_leaf: /* gup_fast_pmd_leaf */',
      'if :: (pmdv & 2) == 0 -> goto restore :: else -> skip fi;',
      'page = PFN(pmdv); hasgen = 0;',
      ...tryGrab('restore'),
      A('v = pmd1') + ' /* pmd recheck of the leaf */',
      'if',
      ':: v != pmdv ->',
      ...gupPut().map((s) => '   ' + s),
      '   goto restore',
      ':: else -> skip',
      'fi;',
      `got = page + ${subidx};`,
      A('flags[folio] = flags[folio] | PG_referenced'),
      'restore:',
      A('irq_on0 = 1') + ' /* local_irq_restore */',
      A(`v = wps; if :: v != seq && got >= 0 -> retry = 1 :: else -> ${record} fi`) + ' /* read_seqcount_retry */',
      'if',
      ':: retry -> /* undo the pin */',
      '   page = got; got = -1;',
      '   ' + A('hd = chead[page]; folio = FOLIO(page, hd)'),
      ...gupPut().map((s) => '   ' + s),
      '   goto done',
      ':: else -> goto finish',
      'fi;',
      'done:',
      `atomic { ${record} };`,
      'goto finish;',
      'cut_exec: /* try_get_folio retry bound: mmrace cuts the execution */',
      'atomic { cut = 1; gup_done = 1 };',
      'finish: skip',
    ].map((s) => '  ' + s),
    '}',
    '',
  );

  // ---- CPU 1: khugepaged's collapse_huge_page of the range ----
  const B: W = (b) => `atomic { ${b}${count('steps1')} }`;
  const done = '; khp_done = 1';
  /** mm_find_pmd + check_pmd_state: three loads; on failure goto fail */
  const findPmd = (fail: string): string[] => [
    B('v = pgd0'),
    `if :: !PRESENT(v) -> goto ${fail} :: else -> skip fi;`,
    B('v = pud0'),
    `if :: !PRESENT(v) -> goto ${fail} :: else -> skip fi;`,
    B('pmdv = pmd1') + ' /* pmdp_get_lockless */',
    `if :: pmdv == 0 || !PRESENT(pmdv) || LEAF(pmdv) -> goto ${fail} :: else -> skip fi;`,
  ];
  const chkKt = 'assert(use[PT] == U_TABLE && gen[PT] == ptgen)';
  const isolate: string[] = [];
  const n = L.ptes.length;
  for (let i = 0; i < n; i++) {
    const next = i + 1 < n ? `iso_${i + 1}` : 'iso_ok';
    isolate.push(
      `iso_${i}:`,
      B(`${chkKt}; ptev = pte[${i}]`),
      `if :: ptev == 0 -> goto ${next} :: !PRESENT(ptev) -> goto iso_fail_${i} :: else -> skip fi;`,
      B('hd = chead[PFN(ptev)]; f = FOLIO(PFN(ptev), hd)'),
      B('m = mapcount[f]'),
      `if :: m > 1 -> goto iso_fail_${i} :: else -> skip fi;`,
      B('fl = flags[f]; flags[f] = fl | PG_locked') + ' /* folio_trylock */',
      `if :: (fl & PG_locked) != 0 -> goto iso_fail_${i} :: else -> skip fi;`,
      B('fl = flags[f]') + ' /* PG_swapcache */',
      B('m = mapcount[f]'),
      B('c = refcount[f]'),
      'if',
      `:: ((fl & PG_swapcache) != 0 -> 1 : 0) + m != c -> ${B('flags[f] = flags[f] & ~PG_locked')}; goto iso_fail_${i} /* SCAN_PAGE_COUNT */`,
      ':: else -> skip',
      'fi;',
      B('fl = flags[f]; flags[f] = fl & ~PG_lru') + ' /* folio_isolate_lru */',
      `if :: (fl & PG_lru) == 0 -> ${B('flags[f] = flags[f] & ~PG_locked')}; goto iso_fail_${i} :: else -> skip fi;`,
      B('assert(refcount[f] > 0); refcount[f] = refcount[f] + 1') + ' /* folio_get */',
    );
  }
  isolate.push('goto iso_ok;');
  for (let i = 0; i < n; i++) {
    isolate.push(`iso_fail_${i}: /* release_pte_pages(pte, ${i}) */`);
    for (let j = i - 1; j >= 0; j--) {
      const skipL = lab.next('rel');
      isolate.push(
        B(`${chkKt}; ptev = pte[${j}]`),
        `if :: ptev == 0 -> goto ${skipL} :: else -> skip fi;`,
        B('hd = chead[PFN(ptev)]; f = FOLIO(PFN(ptev), hd)'),
        B('flags[f] = flags[f] & ~PG_locked') + ' /* folio_unlock */',
        B('flags[f] = flags[f] | PG_lru') + ' /* folio_putback_lru */',
        ...folioPutRefs(B, 'f', '1'),
        `${skipL}: skip;`,
      );
    }
    isolate.push('goto iso_failed;');
  }
  const ipi = (func: string): string[] => [B(`assert(ipi_pending == 0); ipi_pending = 1; ipi_queued = ${func}`) + ' /* ipi_send to CPU 0 */', B('ipi_pending == 0') + ' /* ipi_wait */'];
  const copy: string[] = [];
  for (let i = 0; i < n; i++)
    copy.push(
      B(`${chkKt}; ptev = pte[${i}]`),
      'if',
      `:: ptev == 0 -> ${B(`data[hf + ${i}] = 0`)} /* clear_user_highpage */`,
      `:: else -> ${B('d = data[PFN(ptev)]')}; ${B(`data[hf + ${i}] = d`)} /* copy */`,
      'fi;',
    );
  const succeeded: string[] = [];
  for (let i = 0; i < n; i++) {
    const skipL = lab.next('cs');
    succeeded.push(
      B(`${chkKt}; ptev = pte[${i}]`),
      `if :: ptev == 0 -> goto ${skipL} :: else -> skip fi;`,
      B('hd = chead[PFN(ptev)]; f = FOLIO(PFN(ptev), hd)'),
      B('flags[f] = flags[f] & ~PG_locked') + ' /* release_pte_folio: folio_unlock */',
      B('flags[f] = flags[f] | PG_lru') + ' /* folio_putback_lru */',
      ...folioPutRefs(B, 'f', '1'),
      B('ptl_pte == 0 -> ptl_pte = 1'),
      B(`${chkKt}; pte[${i}] = 0`) + ' /* ptep_clear (xchg) */',
      B('mapcount[f] = mapcount[f] - 1') + ' /* folio_remove_rmap_pte */',
      B('assert(ptl_pte); ptl_pte = 0'),
      B('fl = flags[f]') + ' /* free_swap_cache */',
      ...folioPutRefs(B, 'f', '1'),
      `${skipL}: skip;`,
    );
  }
  emit(
    'proctype khugepaged() {',
    '  int v, pmdv, ptev;',
    '  short f, hf, o, c, m, hd, d, fl, j;',
    '  byte ptgen;',
    '  bit z;',
    ...[
      B('mmap_lock >= 0 -> mmap_lock++') + ' /* mmap_read_lock (khugepaged scan) */',
      B('mmap_lock--') + ' /* mmap_read_unlock */',
      '/* alloc_pages(THP order): the first free aligned block; its frames zeroed */',
      B(
        'hf = -1; j = 0; do :: j + ' + NB + ' <= NF -> if :: ' +
          Array.from({ length: NB }, (_, k) => `use[j + ${k}] == U_FREE`).join(' && ') +
          ' -> hf = j; break :: else -> j = j + ' + NB + ' fi :: else -> break od; ' +
          'if :: hf >= 0 -> ' + Array.from({ length: NB }, (_, k) => `use[hf + ${k}] = U_DATA; gen[hf + ${k}]++; data[hf + ${k}] = 0`).join('; ') + ' :: else -> skip fi',
      ),
      'if :: hf < 0 -> goto alloc_failed :: else -> skip fi;',
      B('refcount[hf] = 1'),
      B('flags[hf] = PG_head'),
      B('order[hf] = THP'),
      ...Array.from({ length: NB - 1 }, (_, k) => B(`chead[hf + ${k + 1}] = hf * 2 + 1`)),
      B('mmap_lock >= 0 -> mmap_lock++'),
      ...findPmd('find_failed'),
      B('mmap_lock--'),
      B('mmap_lock == 0 -> mmap_lock = -1') + ' /* mmap_write_lock */',
      ...findPmd('locked_failed'),
      'ptgen = gen[PFN(pmdv)]; assert(PFN(pmdv) == PT);',
      B('anon_vma == 0 -> anon_vma = -1') + ' /* anon_vma_lock_write */',
      B('ptl_pmd == 0 -> ptl_pmd = 1') + ' /* pmd_lock */',
      B('pmdv = pmd1; pmd1 = 0') + ' /* pmdp_collapse_flush: pmdp_huge_get_and_clear */',
      ...(t.flush === 'tlbi' ? [B('tlbi_done = 1') + ' /* broadcast TLBI */'] : ipi('FLUSH_TLB_FUNC')),
      B('assert(ptl_pmd); ptl_pmd = 0'),
      ...(t.syncIpi ? ipi('DO_NOTHING').map((s) => s + ' /* tlb_remove_table_sync_one */') : []),
      ...(t.pteMapRcu ? [B('rcu1++')] : []),
      B('ptl_pte == 0 -> ptl_pte = 1'),
      '/* __collapse_huge_page_isolate */',
      ...isolate,
      'iso_failed:',
      B('assert(ptl_pte); ptl_pte = 0'),
      ...(t.pteMapRcu ? [B('assert(rcu1 > 0); rcu1--')] : []),
      B('ptl_pmd == 0 -> ptl_pmd = 1'),
      B('v = pmd1; assert(v == 0)') + ' /* BUG_ON(!pmd_none(*pmd)) */',
      B(`pmd1 = ${TABLE_ENTRY_PT}`) + ' /* pmd_populate */',
      B('assert(ptl_pmd); ptl_pmd = 0'),
      B('anon_vma = 0'),
      'goto locked_failed_unlock;',
      'iso_ok:',
      B('assert(ptl_pte); ptl_pte = 0'),
      B('anon_vma = 0'),
      '/* __collapse_huge_page_copy */',
      ...copy,
      ...succeeded,
      ...(t.pteMapRcu ? [B('assert(rcu1 > 0); rcu1--')] : []),
      B('flags[hf] = flags[hf] | PG_uptodate'),
      B('ptl_pmd == 0 -> ptl_pmd = 1'),
      B('v = pmd1; assert(v == 0)') + ' /* BUG_ON(!pmd_none(*pmd)) */',
      B('mapcount[hf] = 1') + ' /* folio_add_new_anon_rmap */',
      B('flags[hf] = flags[hf] | PG_lru'),
      B(`pmd_huge_pte = PT + 1`) + ' /* pgtable_trans_huge_deposit */',
      B(`pmd1 = hf * PAGE + ${HUGE_FLAGS}`) + ' /* set_pmd_at */',
      B('assert(ptl_pmd); ptl_pmd = 0'),
      B(`mmap_lock = 0${done}`) + ' /* mmap_write_unlock */',
      'goto finish;',
      'find_failed:',
      B('mmap_lock--'),
      'goto put_folio;',
      'locked_failed:',
      'skip;',
      'locked_failed_unlock:',
      B('mmap_lock = 0') + ' /* mmap_write_unlock */',
      'put_folio: /* folio_put of the unused huge folio */',
      ...folioPutRefs(B, 'hf', '1', done),
      'goto finish;',
      'alloc_failed:',
      `atomic { khp_done = 1 };`,
      'finish: skip',
    ].map((s) => '  ' + s),
    '}',
    '',
  );

  // ---- the IPI handler on CPU 0 ----
  if (t.flush === 'ipi' || t.syncIpi)
    emit(
      'active proctype cpu0_irq() {',
      'end_idle:',
      '  do',
      ...(t.flush === 'ipi'
        ? [
            `  :: atomic { ipi_queued == FLUSH_TLB_FUNC && irq_on0 && !in_irq0 -> ipi_queued = 0; in_irq0 = 1${count('steps2')} } /* irq_enter */`,
            `     atomic { tlb0_flushed = 1${count('steps2')} } /* flush_tlb_func: tlb_flush_local */`,
            `     atomic { in_irq0 = 0; ipi_pending = 0${count('steps2')} } /* irq_exit */`,
          ]
        : []),
      ...(t.syncIpi
        ? [
            `  :: atomic { ipi_queued == DO_NOTHING && irq_on0 && !in_irq0 -> ipi_queued = 0; in_irq0 = 1${count('steps2')} } /* irq_enter */`,
            `     atomic { in_irq0 = 0; ipi_pending = 0${count('steps2')} } /* irq_exit (do_nothing) */`,
          ]
        : []),
      '  od',
      '}',
      '',
    );

  // ---- final-state oracles (mmrace's finalOracles for this question) ----
  const folioOfExpr = (pfnExpr: string) => `FOLIO(${pfnExpr}, chead[${pfnExpr}])`;
  emit(
    'active proctype oracles() {',
    '  short now, gup_refs;',
    '  bit no_stale_reference = 1, refcount_balanced = 1, step_counts_match;',
    '  (gup_done && khp_done);',
    ...(opts.countSteps ? ['  printf("STEPS %d %d %d %d %d\\n", steps0, steps1, steps2, gup_page, LEAF(pmd1));'] : []),
    ...(opts.allowed
      ? [
          '  d_step {',
          `    step_counts_match = (${opts.allowed.map(([a, b, c, p, ok]) => `(steps0 == ${a} && steps1 == ${b} && steps2 == ${c} && gup_page == ${p} && LEAF(pmd1) == ${ok})`).join(' || ')});`,
          '    assert(step_counts_match)',
          '  }',
          '}',
        ]
      : [    '  d_step { if :: !cut ->',
    `    /* translate(${'0x' + L.addr.toString(16)}) */`,
    `    now = (!PRESENT(pmd1) -> -1 : (LEAF(pmd1) -> PFN(pmd1) + ${subidx} : (PRESENT(${ptePtr}) -> PFN(${ptePtr}) : -1)));`,
    '    /* oracle 1: the page GUP returned is still the page mapped there, and was not freed and reused since */',
    '    if :: gup_page >= 0 -> no_stale_reference = (now == gup_page && !(gup_hasgen && gen[gup_page] != gup_gen)) :: else -> skip fi;',
    '    assert(no_stale_reference);',
    '    /* oracle 3: every data folio\'s count = its mappings + the GUP references held + swap cache; a free page has 0 */',
    '    gup_refs = ((gup_page >= 0 && (chead[gup_page] % 2 == 1 || (flags[gup_page] & PG_head) != 0)) -> 1 : BIAS);',
    '    for (k : 0 .. NF - 1) { held[k] = 0 };',
    '    /* mappings (walkTree: the pmd, or the ptes of its table), then the GUP references held */',
    '    if',
    `    :: LEAF(pmd1) -> held[${folioOfExpr('PFN(pmd1)')}]++`,
    `    :: PRESENT(pmd1) && !LEAF(pmd1) -> for (k : 0 .. NPTE - 1) { if :: PRESENT(pte[k]) -> held[${folioOfExpr('PFN(pte[k])')}]++ :: else -> skip fi }`,
    '    :: else -> skip',
    '    fi;',
    `    if :: gup_page >= 0 -> held[${folioOfExpr('gup_page')}] = held[${folioOfExpr('gup_page')}] + gup_refs :: else -> skip fi;`,
    '    for (k : 0 .. NF - 1) {',
    '      if',
    '      :: use[k] == U_FREE -> refcount_balanced = (refcount[k] == 0)',
    '      :: use[k] == U_DATA && chead[k] % 2 == 0 -> refcount_balanced = (refcount[k] == held[k] + ((flags[k] & PG_swapcache) != 0 -> (1 << order[k]) : 0))',
    '      :: else -> skip',
    '      fi;',
    '      assert(refcount_balanced)',
    '    }',
    '  :: else -> skip fi',
    '  }',
    '}',
        ]),
    '',
  );

  // ---- init: the initial state, then the two CPUs ----
  const inits: string[] = [];
  const arr = (name: string, vals: number[]) => vals.forEach((v, i) => v !== 0 && inits.push(`${name}[${i}] = ${v};`));
  arr('pte', L.ptes);
  arr('refcount', L.page._refcount);
  arr('mapcount', L.page._mapcount);
  arr('pincount', L.page._pincount);
  arr('flags', L.page.flags);
  arr('chead', L.page.compound_head);
  arr('order', L.page.order);
  arr('use', L.use);
  arr('gen', L.gen.map((g) => g % 256));
  arr('data', L.data);
  emit('init {', '  d_step {', ...inits.map((s) => '    ' + s), '  }', '  atomic { run gup(); run khugepaged() }', '}', '');
  return out.join('\n');
}

// ---------------------------------------------------------------- running spin

export interface SpinResult {
  verdict: 'violated' | 'verified' | 'unknown';
  /** which assertion (mapped to mmrace's property names), or 'deadlock' for an invalid end state */
  property: string | null;
  errors: number;
  statesStored: number;
  statesMatched: number;
  transitions: number;
  depth: number;
  /** ms */
  generate: number;
  compile: number;
  verify: number;
  total: number;
  output: string;
}

/** Flags, documented in the README (bench:spin). */
export const SPIN_FLAGS = {
  spin: ['-a'],
  /** -DSAFETY: safety properties only (assertions, invalid end states); spin's partial-order
   * reduction stays on (no -DNOREDUCE); exhaustive search (no -DBITSTATE). */
  gcc: ['-O2', '-DSAFETY', '-w'],
  /** -m: search depth bound far above the longest execution; -w: 2^20-slot hash table; -n: no
   * unreached-code listing. Stops at the first error (-c1, the default). */
  pan: ['-m100000', '-w20', '-n'],
};

export function spinAvailable(): boolean {
  return existsSync(SPIN);
}

function propertyOf(out: string): string | null {
  const a = /assertion violated (.*)/.exec(out);
  if (a) {
    const e = a[1];
    if (e.includes('no_stale_reference')) return 'stale-reference';
    if (e.includes('refcount')) return 'refcount';
    if (e.includes('use[') && e.includes('U_FREE')) return 'refcount'; // double free
    if (e.includes('use[')) return 'pt-uaf';
    return 'assertion';
  }
  if (/invalid end state/.test(out)) return 'deadlock';
  return null;
}

export interface SpinOptions {
  /** keep the temp dir (model.pml, pan.c, the trail) */
  keep?: boolean;
  /** compile pan with -DNOREDUCE (no partial-order reduction) */
  noreduce?: boolean;
  /** gcc optimization level instead of -O2 (the test uses -O0: pan.c compiles in a tenth of the time) */
  opt?: string;
}

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}):\n${r.stdout ?? ''}${r.stderr ?? ''}`);
}

export function runSpin(src: string, opts: SpinOptions & { generateMs?: number } = {}): SpinResult & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-spin-'));
  try {
    const t0 = performance.now();
    writeFileSync(join(dir, 'model.pml'), src);
    run(SPIN, [...SPIN_FLAGS.spin, 'model.pml'], dir);
    const t1 = performance.now();
    const cc = opts.opt ? SPIN_FLAGS.gcc.map((f) => (/^-O/.test(f) ? opts.opt! : f)) : SPIN_FLAGS.gcc;
    const gcc = [...cc, ...(opts.noreduce ? ['-DNOREDUCE'] : []), '-o', 'pan', 'pan.c'];
    run('gcc', gcc, dir);
    const t2 = performance.now();
    const r = spawnSync('./pan', SPIN_FLAGS.pan, { cwd: dir, encoding: 'utf8' });
    const t3 = performance.now();
    const output = (r.stdout ?? '') + (r.stderr ?? '');
    const num = (re: RegExp) => Number(re.exec(output)?.[1] ?? NaN);
    const errors = num(/errors: (\d+)/);
    if (Number.isNaN(errors)) throw new Error(`pan gave no result:\n${output}`);
    if (/max search depth too small/.test(output)) throw new Error('pan: max search depth too small');
    const complete = !/search not completed|out of memory/i.test(output);
    const generate = (opts.generateMs ?? 0) + (t1 - t0);
    return {
      verdict: errors > 0 ? 'violated' : complete ? 'verified' : 'unknown',
      property: errors > 0 ? propertyOf(output) : null,
      errors,
      statesStored: num(/([\d.e+]+) states, stored/),
      statesMatched: num(/([\d.e+]+) states, matched/),
      transitions: num(/([\d.e+]+) transitions/),
      depth: num(/depth reached (\d+)/),
      generate,
      compile: t2 - t1,
      verify: t3 - t2,
      total: generate + (t2 - t1) + (t3 - t2),
      output,
      dir,
    };
  } finally {
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
}

/** Generate (timed) and verify one catalog row with spin. */
export function spinRow(s: Scenario, opts: SpinOptions = {}) {
  const t0 = performance.now();
  const src = promela(togglesFor(s), layoutFor(s), s.id);
  const generateMs = performance.now() - t0;
  return { src, ...runSpin(src, { ...opts, generateMs }) };
}

// ---------------------------------------------------------------- the bench

interface Row {
  id: string;
  toggles: Toggles;
  spin: { verdict: string; property: string | null; statesStored: number; transitions: number; depth: number; statesNoReduce: number; msTotal: number; msGenerate: number; msCompile: number; msVerify: number };
  mmrace: { verdict: string; property: string | null; executions: number; sleepBlocked: number; ms: number };
  agree: boolean;
  /** spin time / mmrace time: spin end to end (generate + spin -a + gcc + pan), and pan alone */
  ratioTotal: number;
  ratioVerify: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const r1 = (x: number) => Number(x.toFixed(1));
const r2 = (x: number) => Number(x.toFixed(2));

function measureRow(s: Scenario, runs: number): Row {
  const spins = Array.from({ length: runs }, () => spinRow(s));
  const noreduce = spinRow(s, { noreduce: true });
  const sp = spins[0];
  const mm = [] as Array<ReturnType<typeof check>>;
  check(s, { noMinimize: true }); // warm-up
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = check(s, { noMinimize: true });
    mm.push({ ...r, ms: performance.now() - t0 });
  }
  const m = mm[0];
  const msTotal = median(spins.map((x) => x.total));
  const msVerify = median(spins.map((x) => x.verify));
  const msMm = median(mm.map((x) => x.ms));
  return {
    id: s.id,
    toggles: togglesFor(s),
    spin: {
      verdict: sp.verdict, property: sp.property, statesStored: sp.statesStored, transitions: sp.transitions, depth: sp.depth,
      statesNoReduce: noreduce.statesStored,
      msTotal: r1(msTotal), msGenerate: r1(median(spins.map((x) => x.generate))), msCompile: r1(median(spins.map((x) => x.compile))), msVerify: r1(msVerify),
    },
    mmrace: { verdict: m.verdict, property: m.property, executions: m.executions, sleepBlocked: m.sleepBlocked, ms: r1(msMm) },
    agree: sp.verdict === m.verdict && sp.property === m.property,
    ratioTotal: r2(msTotal / msMm),
    ratioVerify: r2(msVerify / msMm),
  };
}

function table(rows: Row[]): string {
  const cols: Array<[string, (r: Row) => string]> = [
    ['id', (r) => r.id],
    ['spin', (r) => r.spin.verdict + (r.spin.property ? ` (${r.spin.property})` : '')],
    ['states', (r) => String(r.spin.statesStored)],
    ['(no POR)', (r) => String(r.spin.statesNoReduce)],
    ['spin ms', (r) => r.spin.msTotal.toFixed(1)],
    ['(gen/cc/pan)', (r) => `${r.spin.msGenerate.toFixed(0)}/${r.spin.msCompile.toFixed(0)}/${r.spin.msVerify.toFixed(1)}`],
    ['mmrace', (r) => r.mmrace.verdict + (r.mmrace.property ? ` (${r.mmrace.property})` : '')],
    ['executions', (r) => `${r.mmrace.executions}` + (r.mmrace.sleepBlocked ? `+${r.mmrace.sleepBlocked}` : '')],
    ['mmrace ms', (r) => r.mmrace.ms.toFixed(1)],
    ['spin/mmrace', (r) => r.ratioTotal.toFixed(1)],
    ['pan/mmrace', (r) => r.ratioVerify.toFixed(2)],
    ['agree', (r) => (r.agree ? 'yes' : 'NO')],
  ];
  const w = cols.map(([h, f]) => Math.max(h.length, ...rows.map((r) => f(r).length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(cols.map(([h]) => h)), ...rows.map((r) => line(cols.map(([, f]) => f(r))))].join('\n');
}

function spinVersion(): string {
  const r = spawnSync(SPIN, ['-V'], { encoding: 'utf8' });
  return (r.stdout ?? '').trim();
}

function main(): void {
  if (!spinAvailable()) {
    console.error(`bench:spin needs Debian's spin at ${SPIN}: apt-get install spin`);
    process.exit(2);
  }
  const quick = process.argv.includes('--quick');
  const json = process.argv.includes('--json');
  const keep = process.argv.includes('--keep');
  const runs = quick ? 1 : 3;
  const rows = SPIN_ROWS.map((id) => {
    const s = CATALOG.find((x) => x.id === id);
    if (!s) throw new Error(`no catalog row ${id}`);
    return measureRow(s, runs);
  });
  if (keep) {
    const dir = join(tmpdir(), 'mmrace-spin-models');
    mkdirSync(dir, { recursive: true });
    for (const id of SPIN_ROWS) {
      const s = CATALOG.find((x) => x.id === id)!;
      writeFileSync(join(dir, id.replace('/', '_') + '.pml'), promela(togglesFor(s), layoutFor(s), s.id));
    }
    if (!json) console.log(`models written to ${dir}`);
  }
  const out = { quick, runs, node: process.version, spin: spinVersion(), flags: SPIN_FLAGS, rows };
  if (json) console.log(JSON.stringify(out, null, 2));
  else
    console.log(
      [
        `${out.spin}; gcc ${SPIN_FLAGS.gcc.join(' ')}; pan ${SPIN_FLAGS.pan.join(' ')}; median of ${runs}`,
        table(rows),
        '',
        'states: spin states stored (partial-order reduction on); (no POR): the same model compiled with -DNOREDUCE',
        'spin ms: generate + spin -a + gcc + pan (gen/cc/pan apart); mmrace ms: check() without minimization (first counterexample, as pan reports)',
        'executions: mmrace complete executions (+ sleep-set-blocked ones)',
        'spin/mmrace: spin end to end over mmrace; pan/mmrace: the verifier alone over mmrace',
      ].join('\n'),
    );
  if (rows.some((r) => !r.agree)) process.exitCode = 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
