/**
 * The typed API, worked example (README "Typed API"): a new kernel path -- a one-page
 * GUP-fast walker -- and a hypothetical fix for it as a patch toggle. Checked against
 * khugepaged on arm64 (no flush IPI to hold it off), the walker pins a page khugepaged has
 * copied and discarded; with the recheck it backs off, and the verdict changes.
 *
 *   npx tsc -p . && node dist/examples/typed-api.js
 */
import { z } from 'zod';
import {
  Address, type Ctx, FOLL_GET, type Program, READ_ONCE, check, defineScenario, definePatch, definePath, gup_put_folio, kfunc,
  local_irq_restore, local_irq_save, note, offset_lockless, pgd_offset, pmd_leaf, pmd_present, present, pte_pfn, pte_present,
  ptep_get_lockless, try_grab_folio_fast,
} from '../src/api.js';

// 1. A patch toggle: off unless a scenario says '+my-pmd-recheck'.
definePatch({
  name: 'my-pmd-recheck',
  title: 'my_gup_one: re-read the pmd after taking the reference',
  effect: 'my_gup_one backs off when *pmdp changed while it took its reference',
});

// 2. The kernel path: a generator yielding one effect per shared-memory access.
export const my_gup_one = kfunc('my_gup_one', function* (k: Ctx, addr: number): Program<number> {
  const irq = yield* local_irq_save(); // IRQs off: holds off IPI-based TLB flushes, not TLBI
  let page = -1;
  walk: {
    let v = yield* READ_ONCE(k, pgd_offset(k, addr));
    for (const level of [4, 3]) {
      // p4d (folded: no load), pud: each table derived from the value just read
      if (!present(v)) break walk;
      v = yield* READ_ONCE(k, offset_lockless(k, level, v, addr));
    }
    if (!present(v)) break walk;
    const pmdp = offset_lockless(k, 2, v, addr);
    const pmd = yield* READ_ONCE(k, pmdp);
    if (!pmd_present(pmd) || pmd_leaf(pmd)) break walk;
    const pte = yield* ptep_get_lockless(k, offset_lockless(k, 1, pmd, addr));
    if (!pte_present(pte)) break walk;
    const folio = yield* try_grab_folio_fast(k, pte_pfn(pte), 1, FOLL_GET);
    if (folio < 0) break walk;
    if (k.kernel.has('my-pmd-recheck') && (yield* READ_ONCE(k, pmdp)) !== pmd) {
      yield* note('pmd changed under us: back off');
      yield* gup_put_folio(k, folio, 1, FOLL_GET);
      break walk;
    }
    page = pte_pfn(pte);
  }
  yield* local_irq_restore(irq);
  // ghost: the caller keeps the page; the stale-reference and refcount oracles check it at the end
  if (page >= 0) k.kernel.ghost.gup.push({ cpu: k.cpu, addr, pfn: page, refs: 1, pin: false });
  yield* note(page >= 0 ? `returns page ${page}` : 'returns no page');
  return page;
});

// 3. Register it so scenarios (YAML files too) can name it, with validated arguments.
definePath('my_gup_one', {
  description: 'a one-page GUP-fast walker (examples/typed-api.ts), FOLL_GET',
  process: true,
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void env.requireRange(a.addr, 1, ['addr']),
  run: (c, a) => my_gup_one(c, a.addr),
});

// 4. A scenario, and the verdict with and without the fix.
const scenario = (patches: string[]) =>
  defineScenario({
    id: 'example/my-gup-one',
    question: 'Can my_gup_one return a page khugepaged has just collapsed?',
    arch: 'arm64',
    kernel: 'v5.19', // before 2ba99c5e0881's sync IPI, which would hold khugepaged off too
    patches,
    map: [{ 'anon-small': { at: 0x4000 } }],
    cpus: [{ my_gup_one: { addr: 0x4000 } }, { khugepaged_collapse: { addr: 0x4000 } }],
  });

export function run(): { without: string; with: string } {
  const without = check(scenario([]));
  const withFix = check(scenario(['+my-pmd-recheck']));
  return { without: without.verdict, with: withFix.verdict };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = check(scenario([]));
  console.log(`without the recheck: ${r.verdict} (${r.property}), ${r.executions} executions`);
  const f = check(scenario(['+my-pmd-recheck']));
  console.log(`with +my-pmd-recheck: ${f.verdict}, ${f.executions} executions`);
}
