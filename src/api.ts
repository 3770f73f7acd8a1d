/**
 * The typed API: write a kernel path or a patch toggle in TypeScript, compose a scenario from
 * registered paths and layouts, and check it. README "Typed API" has the worked example
 * (examples/typed-api.ts, tested in test/api.test.ts).
 *
 *   definePatch({ name, title, effect })        a toggle the new code reads with k.kernel.has(name)
 *   definePath(name, { description, args, run }) a path scenarios can name (YAML or spec)
 *   defineScenario(spec)                         a Scenario from a spec (validated, addresses checked)
 *   check(scenario, { strategy, seed, ... })     the verdict, with the minimized counterexample
 */
import { PATCHES, type Patch } from './kernel/patches.js';
import './scenarios/catalog.js'; // the built-in families register their paths
import { type FileSpec, scenarioFromSpec } from './scenarios/file.js';
import type { Scenario } from './scenarios/scenario.js';

export { type CheckOptions, type CheckResult, check } from './explore/check.js';
export { replay } from './explore/runtime.js';
export { type Counterexample, renderTable } from './explore/trace.js';
export { Address, ArgError, Env, LAYOUTS, PATHS, type Region, type ScenarioSpec, buildFromSpec, defineLayout, definePath } from './scenarios/paths.js';
export { type FileSpec, InputError, loadScenarioFile } from './scenarios/file.js';
export type { Scenario, ScenarioConfig } from './scenarios/scenario.js';
export { CATALOG, findScenario } from './scenarios/catalog.js';
export type { Program } from './machine/effects.js';
export { LoopBound } from './machine/effects.js';
export { PAGE_SIZE, present, leaf } from './machine/mmu.js';
export { BUG_ON, Ctx, type Kernel, kfunc, note } from './kernel/kernel.js';
export { local_irq_restore, local_irq_save } from './kernel/sync/irqflags.js';
export { type EntryPtr, READ_ONCE, deref, offset_lockless, pgd_offset, pmd_leaf, pmd_present, pte_pfn, pte_present, ptep_get_lockless } from './kernel/mm/pgtable.js';
export { FOLL_GET, FOLL_PIN, FOLL_WRITE, gup_fast_fallback, gup_put_folio, try_grab_folio_fast } from './kernel/mm/gup.js';
export { khugepaged_collapse } from './kernel/mm/khugepaged.js';
export { PATCHES, type Patch } from './kernel/patches.js';

/** A new fix, revert or proposal: off in every kernel profile unless `release` says when it
 * landed; turn it on with '+name' in a scenario's patches (or --patch +name). */
export function definePatch(p: Pick<Patch, 'name' | 'title' | 'effect'> & Partial<Patch>): Patch {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(p.name)) throw new Error(`patch name '${p.name}': use lower-case letters, digits and -`);
  if (PATCHES[p.name]) throw new Error(`patch '${p.name}' is already defined`);
  const patch: Patch = { commit: 'none', release: 'proposal', ...p };
  PATCHES[p.name] = patch;
  return patch;
}

/** A scenario from a spec: the same checks as a YAML file (names, arguments, addresses);
 * throws SpecError naming the field. */
export function defineScenario(spec: FileSpec): Scenario {
  return scenarioFromSpec(spec, spec.id ?? 'spec');
}
