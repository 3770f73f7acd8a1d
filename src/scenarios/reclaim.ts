/**
 * reclaim: can GUP-fast return a page that reclaim has just freed and the allocator handed to
 * another owner? (Linus, 2022: the read–ref–recheck of GUP-fast; 2667f50e8b81.)
 *
 * CPU 0 runs the process: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of one page. CPU 1 is
 * kswapd: it isolates the page (a clean anonymous page still in the swap cache), runs
 * shrink_folio_list on it and puts it back if it was kept. CPU 2 allocates a page for another
 * owner at any moment; once the page is freed, the LIFO allocator hands out that one.
 *
 * The rows start from a folio already in the swap cache (swapped in by a read fault, or kept by
 * an earlier pass whose write had not finished): a real state, and the shortest way from the
 * pte clear to the free (no swap allocation, no pageout). The longer way, from a plain anonymous
 * page through add_to_swap and pageout, is the scenario file of issue 11
 * (test/reclaim-swap.test.ts); both give the same verdicts.
 */
import {
  addToSwapCache, alloc_pages, type Ctx, folio_putback_lru, FOLL_PIN, FOLL_WRITE, gup_fast_fallback,
  isolate_lru_folios, kfunc, mapAnonSmall, type Program, setAnonExclusive, shrink_folio_list,
} from '../kernel/index.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';
import { bootFor, makeWorld } from './world.js';
import { z } from 'zod';
import './builtins.js';
import { Address, ArgError, definePath, hexs } from './paths.js';
import { NO_RMAP_VS_UNMAP, NO_SWAPIN } from './mmap-overlap.js';

const QUESTION = 'Can GUP-fast return a page that reclaim freed and the allocator gave to another owner?';

/** kswapd's part: shrink_inactive_list for one folio (the first it finds on the LRU). */
const kswapd = kfunc('kswapd', function* (k: Ctx, folio: number): Program<void> {
  if (!(yield* isolate_lru_folios(k, folio))) return;
  if (!(yield* shrink_folio_list(k, folio))) yield* folio_putback_lru(k, folio); // move_folios_to_lru
});

/** Another owner's allocation, e.g. a page-cache read on another CPU. */
const another_owner = kfunc('another_owner', function* (k: Ctx): Program<void> {
  const pfn = yield* alloc_pages(k, 0, { kind: 'data' });
  k.kernel.ghost.held.push({ pfn, refs: 1, who: 'another owner' });
});

export function build(config: ScenarioConfig) {
  const k = bootFor(config, { cpus: 3, mmCpus: [0] });
  const start = k.machine.geometry.size(2);
  const [page] = mapAnonSmall(k, start, 1);
  addToSwapCache(k, page, 0);
  setAnonExclusive(k, page);
  const world = makeWorld(k, [
    { name: 'cpu0', cpu: 0, run: (c) => gup_fast_fallback(c, start, 1, FOLL_PIN | FOLL_WRITE) },
    { name: 'cpu1', cpu: 1, run: (c) => kswapd(c, page) },
    { name: 'cpu2', cpu: 2, run: (c) => another_owner(c) },
  ]);
  return world;
}

function row(variant: string, expect: Scenario['expect'], source: string, config: ScenarioConfig): Scenario {
  return { id: `reclaim/${variant}`, family: 'reclaim', variant, question: QUESTION, expect, source, config, build };
}

export const reclaim: Scenario[] = [
  withFlip(
    row('arm64-pte-recheck', 'verified', '2667f50e8b81: a speculative reference on a reused page is dropped by the pte recheck',
      { arch: 'arm64', kernel: 'v6.6', patches: [] }),
    { patches: ['-gup-pte-recheck'], why: '2667f50e8b81: the pte recheck drops a reference on a reused page' },
  ),
  row('arm64-no-pte-recheck', 'violated', '2667f50e8b81: without the recheck the speculative reference is returned',
    { arch: 'arm64', kernel: 'v6.6', patches: ['-gup-pte-recheck'] }),
  withFlip(
    row('x86-64-pte-recheck', 'verified', '2667f50e8b81', { arch: 'x86-64', kernel: 'v6.6', patches: [] }),
    { patches: ['-gup-pte-recheck'], mutations: ['gup_fast:irq_off'], why: 'the pte recheck; the flush IPI also holds off IRQ-off GUP-fast on x86-64, so IRQs go on too (the revert alone stays verified)' },
  ),
  withFlip(
    row('x86-64-no-pte-recheck', 'verified', 'reclaim frees only after its flush IPI, which waits for IRQ-off GUP-fast',
      { arch: 'x86-64', kernel: 'v6.6', patches: ['-gup-pte-recheck'] }),
    { mutations: ['gup_fast:irq_off'], why: 'reclaim frees after its flush IPI, which waits for IRQ-off GUP-fast' },
  ),
];


// Registry entries (scenario files and the typed API): see src/scenarios/paths.ts.
definePath('kswapd', {
  description:
    'kswapd reclaiming the small page mapped at addr: isolate, shrink_folio_list (a page not in the swap cache gets a swap slot ' +
    'first, is unmapped, written to a synchronous swap device and freed), put back if kept',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => {
    const r = env.requireRange(a.addr, 1, ['addr']);
    // shrink_folio_list is modeled for small anonymous folios: THP swap-out (or its split) is not
    if (r.layout !== 'anon-small')
      throw new ArgError(['addr'], `${hexs(a.addr)} is mapped by ${r.layout}: kswapd models small anonymous pages only (anon-small), not THP swap-out or device memory`);
    env.claim('kswapd', 'reclaim', a.addr, 1, ['addr'], { unmap: NO_RMAP_VS_UNMAP.reclaim, fault: NO_SWAPIN.reclaim });
  },
  run: (c, a, env) => kswapd(c, env.pageAt(a.addr, ['addr'])),
});

definePath('alloc_page', {
  description: "another owner allocating a page (e.g. a page-cache read): it gets the most recently freed frame",
  args: z.object({}).strict(),
  run: (c) => another_owner(c),
});
