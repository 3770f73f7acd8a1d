/**
 * split: GUP-fast on a THP vs split_huge_page (Jason Gunthorpe, 2023: the orderings of
 * read / reference / recheck against the split resolve by the refcount freeze and the
 * recheck; 7aef4172c795 "mm: handle PTE-mapped tail pages in generic fast gup implementation";
 * Jann Horn's c24d37322548 for the page_folio recheck).
 *
 * CPU 0: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of one subpage. CPU 1: a splitter in the
 * shape of deferred_split_scan: folio_try_get, folio_trylock, split_huge_page, unlock, put.
 */
import {
  type Ctx, folio_put, folio_ref_try_add, folio_trylock, folio_unlock, FOLL_PIN, FOLL_WRITE,
  gup_fast_fallback, kfunc, mapAnonThp, mapAnonThpByPtes, PAGE_SIZE, type Program, setAnonExclusive,
  split_huge_page,
} from '../kernel/index.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';
import { bootFor, makeWorld } from './world.js';
import { z } from 'zod';
import './builtins.js';
import { Address, definePath } from './paths.js';

const QUESTION = 'Can GUP-fast on a THP being split return a page it does not hold a proper reference on?';

const splitter = kfunc('deferred_split_scan', function* (k: Ctx, folio: number): Program<void> {
  if (!(yield* folio_ref_try_add(k.kernel, folio, 1))) return; // folio_try_get
  if (yield* folio_trylock(k, folio)) {
    yield* split_huge_page(k, folio);
    yield* folio_unlock(k, folio);
  }
  yield* folio_put(k, folio);
});

export function build(config: ScenarioConfig & { ptes?: boolean }) {
  const k = bootFor(config, { cpus: 2, mmCpus: [0] });
  const start = k.machine.geometry.size(2);
  const head = config.ptes ? mapAnonThpByPtes(k, start) : mapAnonThp(k, start);
  for (let i = 0; i < k.machine.geometry.entries(1); i++) setAnonExclusive(k, head + i);
  return makeWorld(k, [
    { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start + PAGE_SIZE, 1, FOLL_PIN | FOLL_WRITE) },
    { name: 'cpu1', cpu: 1, run: (c) => splitter(c, head) },
  ]);
}

function row(variant: string, expect: Scenario['expect'], source: string, config: ScenarioConfig & { ptes?: boolean }, question = QUESTION): Scenario {
  return { id: `split/${variant}`, family: 'split', variant, question, expect, source, config, build: (c) => build({ ...c, ptes: config.ptes }) };
}

export const split: Scenario[] = [
  withFlip(
    row('pmd-leaf-x86-64', 'verified', 'Jason Gunthorpe 2023: the freeze and the pmd recheck resolve every ordering',
      { arch: 'x86-64', kernel: 'v6.18', patches: [] }),
    { mutations: ['gup_fast_pmd_leaf:pmd_recheck', 'gup_fast:irq_off'], why: 'the pmd recheck; the split flush IPI also holds off IRQ-off GUP-fast on x86-64, so IRQs go on too (recheck and freeze off alone: still verified)' },
  ),
  withFlip(
    row('pmd-leaf-arm64', 'verified', 'Jason Gunthorpe 2023', { arch: 'arm64', kernel: 'v6.18', patches: [] }),
    { mutations: ['gup_fast_pmd_leaf:pmd_recheck'], why: 'the pmd recheck after referencing the THP (the freeze off flips it too)' },
  ),
  withFlip(
    row('pte-mapped-arm64', 'verified', '7aef4172c795 + c24d37322548: freeze, page_folio recheck and pte recheck',
      { arch: 'arm64', kernel: 'v6.18', patches: [], ptes: true }),
    { patches: ['-gup-folio-recheck'], why: "c24d37322548: the page_folio recheck" },
  ),
  row('pte-mapped-arm64-no-folio-recheck', 'violated', "c24d37322548 (Jann Horn): GUP-fast can hold its reference on the wrong folio after a split",
    { arch: 'arm64', kernel: 'v6.18', patches: ['-gup-folio-recheck'], ptes: true }),
  withFlip(
    row('pte-mapped-x86-64-no-folio-recheck', 'verified', "c24d37322548: \"can't actually happen on bare-metal x86\" (the flush IPI waits for IRQ-off GUP-fast)",
      { arch: 'x86-64', kernel: 'v6.18', patches: ['-gup-folio-recheck'], ptes: true }),
    { mutations: ['gup_fast:irq_off'], why: 'the split flush IPI waits for IRQ-off GUP-fast' },
  ),
];

// Registry entry (scenario files and the typed API): see src/scenarios/paths.ts.
definePath('deferred_split', {
  description: 'deferred_split_scan splitting the THP mapped at addr: try-get, trylock, split_huge_page, unlock, put',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void env.thpAt(a.addr, ['addr']),
  run: (c, a, env) => splitter(c, env.thpAt(a.addr, ['addr'])),
});
