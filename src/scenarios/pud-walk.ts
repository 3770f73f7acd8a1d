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
 * Catalog rows (the expectations are the DESIGN catalog's, from the RFC thread):
 *   rereads          v5.8, mincore (pmd_entry only)                                   violated
 *   read-once-again  v5.8 + the RFC, hmm_range_fault (pud_entry that locks, rechecks,
 *                    sets ACTION_AGAIN, reports the devmap leaf with ACTION_CONTINUE)  verified
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
import { mapDevDax } from '../kernel/boot.js';
import { type DevDax, dev_dax_user_touch } from '../kernel/drivers/dax/device.js';
import type { Ctx } from '../kernel/kernel.js';
import { hmm_range_fault } from '../kernel/mm/hmm.js';
import { mk_devmap_pud } from '../kernel/mm/huge_memory.js';
import { madvise_dontneed } from '../kernel/mm/madvise-pud.js';
import { sys_mincore } from '../kernel/mm/mincore.js';
import type { Program } from '../machine/effects.js';
import type { Scenario, ScenarioConfig } from './scenario.js';
import { bootFor, makeWorld } from './world.js';

const QUESTION =
  'Can the page walker (mmap_lock for read) treat a huge pud that a concurrent dev_dax PUD fault installs as a pmd table pointer?';

export type WalkerUser = 'mincore' | 'hmm';

interface Setup {
  user: WalkerUser;
  /** the huge pud is already installed (an earlier fault) */
  mapped: boolean;
  /** a third thread zaps the range with madvise(MADV_DONTNEED) under mmap_read_lock; the
   * toucher then reads (its refault installs a pud without the dirty/young bits: a different value) */
  zapper: boolean;
}

function build(setup: Setup) {
  return (config: ScenarioConfig) => {
    const cpus = setup.zapper ? 3 : 2;
    const k = bootFor(config, { cpus, mmCpus: cpus === 3 ? [0, 1, 2] : [0, 1] });
    const g = k.machine.geometry;
    const start = g.size(3); // the second PUD range: PUD-aligned, not address 0
    const len = g.size(3);
    const dev: DevDax = { pfn: mapDevDax(k, start, setup.mapped, (pfn) => mk_devmap_pud(pfn, true)) };
    const vma = k.vmas[k.vmas.length - 1];
    const walker = (c: Ctx): Program<unknown> => (setup.user === 'mincore' ? sys_mincore(c, start, len) : hmm_range_fault(c, start, start + len));
    const programs = [{ name: 'cpu0', cpu: 0, run: walker }];
    if (setup.zapper) {
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

export const pudWalk: Scenario[] = [
  row('rereads', 'violated', `${RFC_MAIL}: the 2020 walk_pud_range re-reads *pud; mincore (pmd_entry only) splits the DAX pud, the dev_dax fault refills it`,
    { arch: 'x86-64', kernel: 'v5.8', patches: [] }, { user: 'mincore' }),
  row('read-once-again', 'verified', `${RFC_MAIL}: one READ_ONCE passed down; hmm_vma_walk_pud rechecks under the pud lock (ACTION_AGAIN) and reports the leaf`,
    { arch: 'x86-64', kernel: 'v5.8', patches: ['+pagewalk-pud-read-once'] }, { user: 'hmm' },
    'With the RFC, does a pud_entry that takes the pud lock, rechecks the passed value (ACTION_AGAIN) and reports the leaf (hmm_range_fault) keep the walker out of a dev_dax huge pud?'),
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
