/**
 * The package's entry point (`import ... from 'mmrace'`; docs/API.md): write a kernel path, a
 * patch toggle or a property in TypeScript, compose a scenario from registered paths and
 * layouts, and check it. The model's kernel (every helper the built-in paths are written with)
 * is re-exported from src/kernel/index.ts, also importable alone as 'mmrace/kernel'.
 *
 *   definePatch({ name, title, effect })          a toggle the new code reads with k.kernel.has(name)
 *   definePath(name, { description, args, run })  a path scenarios can name (YAML or spec)
 *   defineOracle(name, (state) => ...)            a final-state property scenarios name in `oracles`
 *   defineScenario(spec)                          a Scenario from a spec (validated, addresses checked)
 *   check(scenario, { strategy, seed, ... })      the verdict, with the minimized counterexample
 */
import { PATCHES, type Patch } from './kernel/index.js';
import './scenarios/catalog.js'; // the built-in families register their paths
import { type FileSpec, fieldName, inSequence, scenarioFromSpec } from './scenarios/file.js';
import { SpecError } from './scenarios/paths.js';
import type { Scenario } from './scenarios/scenario.js';

export * from './kernel/index.js';
export { z } from 'zod';
export { type CheckOptions, type CheckResult, check } from './explore/check.js';
export { SoloViolation } from './explore/solo.js';
export { type Execution, type StepRecord, type ViolationInfo, type World, replay } from './explore/runtime.js';
export { type Counterexample, type TableOptions, renderTable } from './explore/trace.js';
export {
  Address, ArgError, type CpuEntry, Env, LAYOUTS, type LayoutDef, PATHS, type PathDef, type PathEntry, type Region, SETUPS, type ScenarioSpec,
  type SetupDef, SpecError, buildFromSpec, defineLayout, definePath, defineSetup, hexs,
} from './scenarios/paths.js';
export { FinalState, ORACLES, type OracleDef, type OracleResult, defineOracle } from './scenarios/oracles.js';
export { type FileSpec, InputError, loadScenarioFile } from './scenarios/file.js';
export { type Flip, type Scenario, type ScenarioConfig, type Verdict, flipped, withFlip } from './scenarios/scenario.js';
export { bootFor, makeWorld } from './scenarios/world.js';
export { CATALOG, findScenario } from './scenarios/catalog.js';

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
 * throws SpecError, its message starting with the field ('cpus[1][0].munmap.addr: ...'). */
export function defineScenario(spec: FileSpec): Scenario {
  try {
    return scenarioFromSpec(spec, spec.id ?? 'spec');
  } catch (err) {
    if (err instanceof SpecError) throw new SpecError(err.path, `${fieldName(err.path)}${inSequence(err.path, spec.cpus)}: ${err.message}`, err.atKey);
    throw err;
  }
}
