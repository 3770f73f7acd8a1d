/**
 * pae-tear: can a lockless walker on x86-32 PAE act on a 64-bit entry that was never stored
 * whole? (Jason Gunthorpe, Sep 2020: "I don't see what prevents load tearing a 64 bit pmd" in
 * gup_pmd_range; Peter Zijlstra's "mm/gup: Fix the lockless PMD access" and 024d232ae4fc "mm:
 * Fix pmd_read_atomic()", v6.2; the ptep_get_lockless low/high/low argument of x86's
 * gup_get_pte (2008), made generic by 2a4a06da8a4b, v5.11.)
 *
 * Geometry: the PAE layout, three levels (pgd = the 4-entry PDPT scaled to 2, pmd, pte; p4d and
 * pud folded), 4 ptes per table. The machine has frames above 4 GB (HIGH_FRAME_BASE on, see
 * src/machine/mmu.ts), so entries can differ in their high word.
 *
 * Config: every row assumes CONFIG_HIGHPTE (x86-32; pte tables may be allocated from highmem,
 * i.e. above 4 GB on a PAE machine with that much memory). Without it pte tables come from
 * lowmem, below 896 MB: a pmd pointing at one has high word 0, so the pmd rows cannot tear (and
 * the pte rows' table sits low too; their data pages above 4 GB need only PAE and enough RAM).
 * The boot code places a pte table above 4 GB only where a row says so (`entryFor` after
 * `reserveFreeFramesExcept(HIGH_FRAME_BASE + ...)` here, `table_high` in scenario files).
 *
 * pmd rows: CPU 0 pins the page (pin_user_pages_fast, FOLL_PIN | FOLL_WRITE); CPU 1 munmaps it
 * (__vm_munmap: zap the pte, free_pgtables: pmd_clear low then high, then the flush IPI and the
 * frees). The pte table sits above 4 GB, at frame HIGH_FRAME_BASE + P, whose pmd has the low
 * word a table at pfn P would have: P is the mapped data page. A vma below keeps the pmd table.
 *
 * pte rows: CPU 0 pins the page; CPU 1 runs MADV_DONTNEED on it (zap: ptep_get_and_clear_full,
 * flush IPI, free); CPU 2 write-faults on it (handle_pte_fault: ptep_get_lockless with IRQs on,
 * then do_anonymous_page: set_pte_at high then low; entered through do_user_addr_fault). The
 * refault's new page is placed by
 * steering the allocator: above 4 GB with a different low word, or at the same address mod 4 GB.
 *
 * Every plain read and READ_ONCE of an entry is two 32-bit loads, low then high (the compiler may
 * pick either order; with high first, a concurrent pmd_populate into a none pmd would tear
 * instead): GUP-fast's pgd read, its pmd read before v6.2, and its pmd and pte rechecks.
 */
import {
  __vm_munmap, type Arch, boot, type Ctx, do_user_addr_fault, entryFor, FOLL_PIN, FOLL_WRITE,
  type GeometryConfig, gup_fast_fallback, HIGH_FRAME_BASE, initVmaTree, mapAnonSmall, PAGE_SIZE, PMD,
  type Program, PTE, reserveFreeFramesExcept, resolvePatches, x86_32_pae_torn_observed, zap_page_range_single,
} from '../kernel/index.js';
import type { Scenario, ScenarioConfig } from './scenario.js';
import { bootFor, makeWorld } from './world.js';

export const PAE_GEOMETRY: GeometryConfig = { bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 2 } };
const FRAMES = HIGH_FRAME_BASE + 8;

const Q_PMD = 'Can GUP-fast on x86-32 PAE act on a pmd value that was never stored whole, while munmap clears that pmd?';
const Q_PTE = 'Can ptep_get_lockless on x86-32 PAE return a pte value that was never stored whole, across a zap and a refault?';

/** munmap of a page whose pte table is above 4 GB, against GUP-fast of that page. */
function buildPmd(config: ScenarioConfig) {
  const k = bootFor(config, { cpus: 2, mmCpus: [0, 1], frames: FRAMES, geometry: PAE_GEOMETRY });
  const start = k.machine.geometry.size(PMD);
  mapAnonSmall(k, 0, 1); // a vma below, in the same pmd table: that table stays (free_pgtables' floor)
  const page = k.machine.mem.pick(0); // the frame the page at `start` will get
  const undo = reserveFreeFramesExcept(k, [HIGH_FRAME_BASE + page]);
  entryFor(k, start, PTE); // its pte table, above 4 GB: same low word as a table at `page`
  undo();
  mapAnonSmall(k, start, 1);
  initVmaTree(k, [
    { name: 'below', start: 0, end: PAGE_SIZE, mapped: true },
    { name: 'A', start, end: start + PAGE_SIZE, mapped: true },
  ]);
  return makeWorld(k, [
    { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE) },
    { name: 'cpu1', cpu: 1, run: (c) => __vm_munmap(c, start, PAGE_SIZE) },
  ]);
}

/**
 * MADV_DONTNEED + write refault of a page, against GUP-fast of that page; the refault gets the
 * frame `refill(P)` (P the page mapped at boot, at frame `at` if given: then the page at P's
 * address mod 4 GB belongs to another owner, e.g. the kernel: refcount 1, not in this mm).
 * `arch` overrides the config's profile (tests only).
 */
export function buildPte(refill: (p: number) => number, at?: number, arch?: Arch, secondZap = false) {
  return (config: ScenarioConfig) => {
    const frames = Math.max(FRAMES, refill(at ?? 0) + 8);
    const rest = { cpus: 3, mmCpus: [0, 1, 2], frames, geometry: PAE_GEOMETRY };
    const k = arch ? boot({ arch, patches: resolvePatches(config.kernel, config.patches), ...rest }) : bootFor(config, rest);
    const start = k.machine.geometry.size(PMD);
    let p: number;
    if (at === undefined) [p] = mapAnonSmall(k, start, 1);
    else {
      entryFor(k, start, PTE); // the tables, below 4 GB
      const undo = reserveFreeFramesExcept(k, [at]);
      [p] = mapAnonSmall(k, start, 1); // the page, at frame `at`
      undo();
      const other = at % HIGH_FRAME_BASE;
      const mem = k.machine.mem;
      mem.use[other] = { kind: 'data' };
      mem.words[k.memmap.field(other, '_refcount')] = 1;
      k.ghost.held.push({ pfn: other, refs: 1, who: 'another owner' });
    }
    initVmaTree(k, [{ name: 'A', start, end: start + PAGE_SIZE, mapped: true }]);
    reserveFreeFramesExcept(k, [refill(p)]);
    return makeWorld(k, [
      { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE) },
      { name: 'cpu1', cpu: 1, run: (c) => zap_page_range_single(c, start, PAGE_SIZE) },
      { name: 'cpu2', cpu: 2, run: secondZap ? (c) => refaultThenZap(c, start) : (c) => do_user_addr_fault(c, start) },
    ]);
  };
}

/** A write fault, then MADV_DONTNEED of the page it mapped (the second zap). */
function* refaultThenZap(c: Ctx, start: number): Program<void> {
  yield* do_user_addr_fault(c, start);
  yield* zap_page_range_single(c, start, PAGE_SIZE);
}

function row(
  variant: string,
  question: string,
  expect: Scenario['expect'],
  source: string,
  config: ScenarioConfig,
  build: (config: ScenarioConfig) => ReturnType<typeof buildPmd>,
): Scenario {
  return { id: `pae-tear/${variant}`, family: 'pae-tear', variant, question, expect, source, config, build };
}

/** Jann Horn's report of the false premise (the message id was not found in the sources here). */
const JANN_2022 =
  'Jann Horn, "ptep_get_lockless() on 32-bit x86/mips/sh looks wrong", linux-mm, 6 Oct 2022 ' +
  '(https://lkml.iu.edu/hypermail/linux/kernel/2210.0/05024.html; message id not found here): the comment\'s premise that a ' +
  'present pte cannot become present again with another page without a TLB flush in between is false when MADV_DONTNEED ' +
  'races an anonymous fault, since zap_pte_range does not always flush before dropping the pte lock; "if a concurrent ' +
  'GUP-fast can then theoretically end up returning a completely unrelated page, that\'s bad"';

const HIGHPTE = 'CONFIG_HIGHPTE (pte tables allocated above 4 GB)';

export const paeTear: Scenario[] = [
  row('pmd-plain-read', Q_PMD, 'violated',
    `Jason Gunthorpe, Sep 2020 ("I don't see what prevents load tearing a 64 bit pmd"); before "mm/gup: Fix the lockless PMD access" (v6.2) gup_pmd_range read READ_ONCE(*pmdp): two 32-bit loads, no retry. Needs ${HIGHPTE}: without it no pmd has a high word`,
    { arch: 'x86-32-pae', kernel: 'v6.1', patches: [] }, buildPmd),
  { ...row('pmd-lockless', Q_PMD, 'verified',
    `"mm/gup: Fix the lockless PMD access" with 024d232ae4fc "mm: Fix pmd_read_atomic()" (v6.2): pmdp_get_lockless, low/high/low retry. ${HIGHPTE}`,
    { arch: 'x86-32-pae', kernel: 'v6.6', patches: [] }, buildPmd),
    flips: { patches: ['-gup-pmd-lockless'], why: 'GUP-fast reads the pmd with READ_ONCE again: two loads, no retry, the torn pmd of pmd-plain-read' } },
  { ...row('pte-lockless-refault', Q_PTE, 'verified',
    `ptep_get_lockless comment (x86 gup_get_pte 2008; 2a4a06da8a4b v5.11): a pte goes none<->present, set_pte writes high then low, the low word is re-read. ${HIGHPTE} for the pte table's frame; the pages above 4 GB need only PAE`,
    { arch: 'x86-32-pae', kernel: 'v6.6', patches: [] }, buildPte(() => HIGH_FRAME_BASE)),
    flips: { mutations: ['pxx_get_lockless:low_recheck'], why: 'without the low re-read a read across the zap and the refault assembles a pte never stored whole' } },
  { ...row('pte-lockless-same-low-refault', Q_PTE, 'verified',
    'the "same value mod 4GB" refill (DESIGN pae-tear row): the retry accepts low from the old pte and high from the new one, which is the new pte whole (an exhibit, not a bug)',
    { arch: 'x86-32-pae', kernel: 'v6.6', patches: [] }, buildPte((p) => HIGH_FRAME_BASE + p)),
    // Not the low re-read: with the same low word every mix of halves is a value stored whole.
    flips: { mutations: ['smp_call_function_many:wait'], why: 'the comment\'s other premise: the flush IPI waits for IRQ-off GUP-fast; without the wait the old page is freed and reused under the read' } },
  row('pte-lockless-same-low-refault-high', Q_PTE, 'violated',
    `${JANN_2022}. The model reaches it: with the old page at 4 GB + X and the new one at 8 GB + X, the high word is read between the zap and the refault (0) and the low word re-read after the refault (the same l): the retry accepts (l, 0), a page at X that neither pte mapped`,
    { arch: 'x86-32-pae', kernel: 'v6.6', patches: [] }, buildPte((p) => HIGH_FRAME_BASE + p, HIGH_FRAME_BASE + 3)),
];

/**
 * Probes: worlds the catalog does not run (`npm start` would not finish them), each with the test
 * that pins what the model shows.
 */
export const paeTearProbes: Scenario[] = [
  /*
   * The row the one-load recheck hid. Expectation, argued: after ptep_get_lockless accepted the
   * torn (l, 0) (the row above; here oracle 4 lets the walker go on with it, x86_32_pae_torn_observed,
   * and judges what it does next), GUP-fast try-gets page X (another owner's: refcount 1, it
   * succeeds) and rechecks with ptep_get: low word, then high word. The refault's pte (l, 2) is
   * in place, so the low load reads l; if CPU 2 now zaps that pte too (MADV_DONTNEED: xchg to 0
   * under the pte lock; its flush IPI waits for GUP-fast, but the clear does not), the high load
   * reads 0. The recheck assembles (l, 0), equal to the torn pte: it passes, and GUP-fast keeps a
   * pin on page X, which no pte of this mm ever mapped. Expected violated (torn-value, at the
   * recheck's high load); with a one-load recheck it cannot be, since the recheck reads (l, 2)
   * or 0 and backs off.
   */
  row('pte-recheck-second-zap', 'Once ptep_get_lockless on x86-32 PAE has accepted a torn pte, does GUP-fast\'s pte recheck (two 32-bit loads) keep it from pinning the page?', 'violated',
    `${JANN_2022}. The recheck pte_val(pte) != pte_val(ptep_get(ptep)) in gup_fast_pte_range is a READ_ONCE of 8 bytes: two loads on i386; a second MADV_DONTNEED between them makes it pass on the torn pte`,
    { arch: 'x86-32-pae', kernel: 'v6.6', patches: [] }, buildPte((p) => HIGH_FRAME_BASE + p, HIGH_FRAME_BASE + 3, x86_32_pae_torn_observed, true)),
];
