/**
 * pud-walk: walk_pud_range re-reads *pud (Jason Gunthorpe's 2020 RFC "mm/pagewalk: use
 * READ_ONCE when reading the PUD entry unlocked"). Can the generic page walker, holding
 * mmap_lock only for read, treat a huge pud that a concurrent dev_dax PUD fault installs as a
 * pointer to a pmd table (pmd_offset on a leaf)?
 *
 * The world: a device-dax VMA covering one PUD (dev_dax->align = PUD_SIZE) whose huge pud an
 * earlier fault has installed. CPU 0 walks the range with walk_page_range under
 * mmap_read_lock; CPU 1, a thread of the same process, touches the range and, when the hardware
 * walk finds nothing, takes the dev_dax PUD fault under mmap_read_lock.
 *
 * Why the pud starts mapped: with one none -> huge transition the walker can never see the
 * huge pud after a read that saw none (a none pud is a hole: the walk leaves it), so no
 * interleaving of a single first fault can fool it (the probe `first-fault` below checks this).
 * The 2020 walker with a pmd_entry-only user (mincore) instead reaches split_huge_pud, which
 * for a DAX pud is a zap; the refault that follows can land between that zap and the walker's
 * later re-reads of *pud.
 *
 * The RFC's own case is a walk with no VMA (walk_page_range_novma: ptdump, whose pud_entry the
 * RFC converts too). With no VMA there is no split: the 2020 walker decides "leaf or not
 * present" with two more plain reads of *pud and then re-reads it for pud_none and pmd_offset,
 * so a zap (MADV_DONTNEED) and a refault landing between those reads send it into the refilled
 * huge pud as if it were a pmd table. The RFC reads the pud once and decides on that value.
 *
 * Catalog rows (the expectations are the DESIGN catalog's, from the RFC thread):
 *   rereads          v5.8, mincore (pmd_entry only)                                   violated
 *   ptdump-rereads   v5.8, ptdump of the current mm (no VMA); one thread of the
 *                    process runs MADV_DONTNEED, then touches the range (refault)      violated
 *   ptdump-read-once the same with the RFC                                             verified
 *                    (flips: reverting the RFC gives ptdump-rereads)
 * The earlier catalog row `read-once-again` (the RFC with hmm_range_fault, no other writer) was
 * dropped: nothing wrote the pud while the walker ran (1 execution), and reverting the RFC left
 * it verified; with a zapper the RFC does not save hmm either (`rfc-hmm-zap` below).
 * Probes (not catalog rows: kernel history has no answer for them; the tests pin what the
 * model finds, so that the rows are not read as more than they say):
 *   rfc-pmd-entry    the RFC with mincore's ops: the re-read after split_huge_pud only tests
 *                    pud_none, so the refaulted huge pud still reaches walk_pmd_range
 *   rereads-pud-entry the 2020 walker with hmm's ops: the pud_entry handles the leaf, the
 *                    walker never splits, nothing refaults
 *   first-fault      the 2020 walker (mincore) against the first fault on an empty pud
 *   rfc-hmm-zap      the RFC with hmm's ops, plus a third thread zapping the pud with
 *                    madvise(MADV_DONTNEED) (mmap_lock for read too) before the refault:
 *                    pud_trans_huge_lock finds the pud no longer huge and hmm_vma_walk_pud
 *                    returns 0 (ACTION_SUBTREE) before its recheck, so the walker goes on to
 *                    split_huge_pud and the READ_ONCE after it, which sees the refaulted pud
 *   rereads-hmm-zap  the same world with the 2020 walker
 */
import {
  type Ctx, dev_dax_user_touch, type DevDax, hmm_range_fault, kfunc, madvise_dontneed, mapDevDax,
  mk_devmap_pud, PAGE_SIZE, type Program, ptdump_walk_pgd, sys_mincore, type Vma,
} from '../kernel/index.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';
import { bootFor, makeWorld } from './world.js';
import { z } from 'zod';
import './builtins.js';
import { Address, ArgError, type Env, defineLayout, definePath, hexs } from './paths.js';

const QUESTION =
  'Can the page walker (mmap_lock for read) treat a huge pud that a concurrent dev_dax PUD fault installs as a pmd table pointer?';

export type WalkerUser = 'mincore' | 'hmm' | 'ptdump';

interface Setup {
  user: WalkerUser;
  /** the huge pud is already installed (an earlier fault) */
  mapped: boolean;
  /** a third thread zaps the range with madvise(MADV_DONTNEED) under mmap_read_lock; the
   * toucher then reads (its refault installs a pud without the dirty/young bits: a different value) */
  zapper: boolean;
  /** one user thread zaps (MADV_DONTNEED) and then touches the range (a read: the refault) */
  zapThenTouch?: boolean;
}

const madvise_then_touch = kfunc('madvise_then_touch', function* (k: Ctx, dev: DevDax, vma: Vma, start: number, len: number): Program<string> {
  yield* madvise_dontneed(k, vma, start, len);
  return yield* dev_dax_user_touch(k, dev, vma, start, false);
});

function build(setup: Setup) {
  return (config: ScenarioConfig) => {
    const cpus = setup.zapper ? 3 : 2;
    const k = bootFor(config, { cpus, mmCpus: cpus === 3 ? [0, 1, 2] : [0, 1] });
    const g = k.machine.geometry;
    const start = g.size(3); // the second PUD range: PUD-aligned, not address 0
    const len = g.size(3);
    const dev: DevDax = { pfn: mapDevDax(k, start, setup.mapped, (pfn) => mk_devmap_pud(pfn, true)) };
    const vma = k.vmas[k.vmas.length - 1];
    const walker = (c: Ctx): Program<unknown> =>
      setup.user === 'mincore' ? sys_mincore(c, start, len) : setup.user === 'hmm' ? hmm_range_fault(c, start, start + len) : ptdump_walk_pgd(c, start, start + len);
    const programs = [{ name: 'cpu0', cpu: 0, run: walker }];
    if (setup.zapThenTouch) {
      programs.push({ name: 'cpu1', cpu: 1, run: (c) => madvise_then_touch(c, dev, vma, start, len) });
    } else if (setup.zapper) {
      programs.push({ name: 'cpu1', cpu: 1, run: (c) => madvise_dontneed(c, vma, start, len) });
      programs.push({ name: 'cpu2', cpu: 2, run: (c) => dev_dax_user_touch(c, dev, vma, start, false) });
    } else programs.push({ name: 'cpu1', cpu: 1, run: (c) => dev_dax_user_touch(c, dev, vma, start, true) });
    return makeWorld(k, programs);
  };
}

function row(
  variant: string,
  expect: Scenario['expect'],
  source: string,
  config: ScenarioConfig,
  setup: Partial<Setup> & { user: WalkerUser },
  question = QUESTION,
): Scenario {
  const full: Setup = { mapped: true, zapper: false, ...setup };
  return { id: `pud-walk/${variant}`, family: 'pud-walk', variant, question, expect, source, config, build: build(full) };
}

const RFC_MAIL = 'RFC "mm/pagewalk: use READ_ONCE when reading the PUD entry unlocked" (Jason Gunthorpe, 2020-03-13; v2 01/30 of Zi Yan\'s PUD THP series, 2020-09-28)';

const NOVMA_QUESTION =
  'Can a page walk with no VMA (ptdump of the current mm, mmap_lock for read) take a huge pud that MADV_DONTNEED zapped and a dev_dax fault refilled for a pmd table pointer?';
const PTDUMP = 'ptdump of the current mm (x86 debugfs current_kernel: walk_page_range_novma under mmap_read_lock) while one thread of the process runs MADV_DONTNEED and touches the range again';

export const pudWalk: Scenario[] = [
  row('rereads', 'violated', `${RFC_MAIL}: the 2020 walk_pud_range re-reads *pud; mincore (pmd_entry only) splits the DAX pud, the dev_dax fault refills it`,
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'mincore' }),
  row('ptdump-rereads', 'violated',
    `${RFC_MAIL}: ${PTDUMP}; the 2020 walker reads *pud for pud_none, pud_leaf, pud_present, pud_none and pmd_offset: a zap and a refault between them`,
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'ptdump', zapThenTouch: true }, NOVMA_QUESTION),
  withFlip(
    row('ptdump-read-once', 'verified',
      `${RFC_MAIL}: "Passing the value from READ_ONCE into the callbacks prevents the callers from seeing inconsistencies"; ${PTDUMP}`,
      { arch: 'x86-64', kernel: 'v5.8', patches: ['+pagewalk-pud-read-once'] }, { user: 'ptdump', zapThenTouch: true }, NOVMA_QUESTION),
    { patches: ['-pagewalk-pud-read-once'], why: "the RFC: the no-VMA leaf test and pmd_offset use the walker's one READ_ONCE" },
  ),
];

/** Variants the tests check that are not catalog rows (see the header). Their `expect` is what
 * the model finds, not kernel history. */
export const pudWalkProbes: Scenario[] = [
  row('rfc-pmd-entry', 'violated', 'model probe: the RFC with a pmd_entry-only walker (mincore)',
    { arch: 'x86-64', kernel: 'v5.8', patches: ['+pagewalk-pud-read-once'] }, { user: 'mincore' }),
  row('rereads-pud-entry', 'verified', 'model probe: the 2020 walker with hmm_range_fault (pud_entry handles the leaf)',
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'hmm' }),
  row('first-fault', 'verified', 'model probe: the 2020 walker (mincore) against the first fault on an empty pud',
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'mincore', mapped: false }),
  row('rfc-hmm-zap', 'violated', 'model probe: the RFC with hmm_range_fault, a concurrent MADV_DONTNEED zap and a refault',
    { arch: 'x86-64', kernel: 'v5.8', patches: ['+pagewalk-pud-read-once'] }, { user: 'hmm', zapper: true }),
  row('rereads-hmm-zap', 'violated', 'model probe: the 2020 walker with hmm_range_fault, a concurrent MADV_DONTNEED zap and a refault',
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'hmm', zapper: true }),
];

// Registry entries (scenario files and the typed API): see src/scenarios/paths.ts.
defineLayout('dev-dax', {
  description: 'a device-dax VMA covering one PUD range (align = PUD_SIZE); mapped: an earlier fault installed its huge pud',
  words: ['at'],
  args: z.object({ at: Address, mapped: z.boolean().default(true) }).strict(),
  apply(k, a) {
    const g = k.machine.geometry;
    if (g.folded(3)) throw new ArgError([], 'dev-dax needs an unfolded pud level (geometry.pud >= 1)');
    if (a.at % g.size(3)) throw new ArgError(['at'], `${hexs(a.at)} is not PUD-aligned (a multiple of ${hexs(g.size(3))})`);
    const dev: DevDax = { pfn: mapDevDax(k, a.at, a.mapped, (pfn) => mk_devmap_pud(pfn, true)) };
    const vma = k.vmas[k.vmas.length - 1];
    return { layout: 'dev-dax', start: a.at, end: a.at + g.size(3), pfns: [], extra: { dev, vma } };
  },
});

function daxAt(env: Env, addr: number, field: string[]): { dev: DevDax; vma: Vma; start: number; end: number } {
  const r = env.requireRange(addr - (addr % PAGE_SIZE), 1, field);
  if (r.layout !== 'dev-dax') throw new ArgError(field, `${hexs(addr)} is mapped by ${r.layout}, not by a dev-dax range`);
  return { ...(r.extra as { dev: DevDax; vma: Vma }), start: r.start, end: r.end };
}

definePath('mincore', {
  description: 'sys_mincore over the dev-dax range at addr: walk_page_range with a pmd_entry-only walker (mmap_lock for read)',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void daxAt(env, a.addr, ['addr']),
  run: (c, a, env) => {
    const d = daxAt(env, a.addr, ['addr']);
    return sys_mincore(c, d.start, d.end - d.start);
  },
});

definePath('hmm_range_fault', {
  description: 'hmm_range_fault over the dev-dax range at addr: a pud_entry that locks, rechecks and reports the leaf',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void daxAt(env, a.addr, ['addr']),
  run: (c, a, env) => {
    const d = daxAt(env, a.addr, ['addr']);
    return hmm_range_fault(c, d.start, d.end);
  },
});

definePath('ptdump', {
  description: 'ptdump of the current mm over the dev-dax range at addr (debugfs current_kernel): walk_page_range_novma under mmap_read_lock',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void daxAt(env, a.addr, ['addr']),
  run: (c, a, env) => {
    const d = daxAt(env, a.addr, ['addr']);
    return ptdump_walk_pgd(c, d.start, d.end);
  },
});

definePath('dev_dax_touch', {
  description: 'a user access to the dev-dax range at addr; a miss takes the dev_dax PUD fault (mmap_lock for read)',
  process: true,
  args: z.object({ addr: Address, write: z.boolean().default(true) }).strict(),
  check: (a, env) => void daxAt(env, a.addr, ['addr']),
  run: (c, a, env) => {
    const d = daxAt(env, a.addr, ['addr']);
    return dev_dax_user_touch(c, d.dev, d.vma, a.addr, a.write);
  },
});

definePath('madvise_dontneed', {
  description: 'madvise(MADV_DONTNEED) over the dev-dax range at addr (mmap_lock for read): zaps the pud',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void daxAt(env, a.addr, ['addr']),
  run: (c, a, env) => {
    const d = daxAt(env, a.addr, ['addr']);
    return madvise_dontneed(c, d.vma, d.start, d.end - d.start);
  },
});
