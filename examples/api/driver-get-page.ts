/**
 * A new race, written from scratch against the package: a driver (call it mydrv) looks up the
 * page mapped at a user address by walking the page tables itself, from a workqueue that holds
 * no mmap_lock, and takes a reference on it for DMA. follow_pte()'s contract is that the pte is
 * valid only while its lock is held; mydrv reads it under the lock but takes the reference after
 * pte_unmap_unlock(). A concurrent munmap() can zap the pte and free the page in between, and
 * mydrv's folio_get() lands on a free page. The fix takes the reference under the lock.
 *
 *   in a project that installed mmrace: npx tsc -p . && node out/driver-get-page.js
 *   in this repo, after npx tsc -p . (the package imports itself): npx tsc -p examples/api && node examples/api/out/driver-get-page.js
 */
import {
  Address, type Ctx, type Program, check, defineScenario, definePatch, definePath, folio_get, kfunc, mm_find_pmd, pte_offset_map_lock, pte_pfn,
  pte_present, pte_unmap_unlock, ptep_get, renderTable, z,
} from 'mmrace';

// 1. The fix, as a patch toggle a scenario turns on with '+mydrv-ref-under-ptl'.
definePatch({
  name: 'mydrv-ref-under-ptl',
  title: 'mydrv: take the page reference before dropping the pte lock',
  effect: 'mydrv_get_page calls folio_get() while it still holds the pte lock',
});

// 2. The driver's lookup, step by step: each yield* is one shared-memory access of the model.
export const mydrv_get_page = kfunc('mydrv_get_page', function* (k: Ctx, addr: number): Program<number> {
  const pmdp = yield* mm_find_pmd(k, addr);
  if (!pmdp) return -1;
  const locked = yield* pte_offset_map_lock(k, pmdp, addr);
  if (!locked) return -1;
  const pte = yield* ptep_get(k, locked.ptep);
  if (!pte_present(pte)) {
    yield* pte_unmap_unlock(k, locked.ptl);
    return -1;
  }
  const folio = pte_pfn(pte);
  if (k.kernel.has('mydrv-ref-under-ptl')) {
    yield* folio_get(k.kernel, folio); // the zap waits for the lock: the page is still mapped
    yield* pte_unmap_unlock(k, locked.ptl);
  } else {
    yield* pte_unmap_unlock(k, locked.ptl);
    yield* folio_get(k.kernel, folio); // the bug: the pte may be gone, and the page freed
  }
  // ghost: mydrv keeps its reference (the refcount oracle counts it at the end)
  k.kernel.ghost.held.push({ pfn: folio, refs: 1, who: 'mydrv' });
  return folio;
});

// 3. A path scenarios can name (in YAML too), its arguments checked against the layout.
definePath('mydrv_get_page', {
  description: 'mydrv looks up the page at addr under the pte lock (no mmap_lock) and takes a reference',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void env.requireRange(a.addr, 1, ['addr']),
  run: (c, a) => mydrv_get_page(c, a.addr),
});

// 4. The scenario: the process unmaps A while the driver looks it up.
export const scenario = (patches: string[] = []) =>
  defineScenario({
    id: 'mydrv/get-page-vs-munmap',
    question: "Can mydrv's reference land on a page munmap has freed?",
    arch: 'x86-64',
    kernel: 'v6.12',
    patches,
    map: [{ 'anon-small': { at: 0x0, pages: 1, name: 'below' } }, { 'anon-small': { at: 0x1000, pages: 1, name: 'A' } }],
    setup: [{ 'vma-tree': {} }],
    cpus: [
      { role: 'mydrv, from a workqueue', run: { mydrv_get_page: { addr: 0x1000 } } },
      { role: 'the process unmapping A', run: { munmap: { addr: 0x1000 } } },
    ],
  });

export function main(): { bug: string; fixed: string } {
  const bug = check(scenario());
  console.log(`${bug.id}: ${bug.verdict} (${bug.property}) in ${bug.executions} executions`);
  if (bug.trace) console.log(renderTable(bug.trace, { width: 110 }));
  const fixed = check(scenario(['+mydrv-ref-under-ptl']));
  console.log(`with +mydrv-ref-under-ptl: ${fixed.verdict} in ${fixed.executions} executions`);
  return { bug: `${bug.verdict} ${bug.property}`, fixed: fixed.verdict };
}

if (import.meta.url === `file://${process.argv[1]}`) main();
