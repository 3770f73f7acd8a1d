/**
 * A catalog row: a question from the threads, a configuration (arch profile, kernel profile,
 * patch changes), and a builder that makes a fresh world (initial state + one program per CPU)
 * for every execution. `expect` is kernel history's answer; the checker never reads it.
 */
import type { World } from '../explore/runtime.js';
import type { GeometryConfig } from '../kernel/index.js';

export type Verdict = 'violated' | 'verified' | 'unknown';

export interface ScenarioConfig {
  arch: string;
  kernel: string;
  /** patch changes on top of the kernel profile: '+name' adds, '-name' reverts */
  patches: string[];
  /** guards turned off for mutation testing (src/kernel/guards.ts) */
  mutations?: string[];
  /** scaled geometry: log2 entries per table (default src/kernel/boot.ts DEFAULT_GEOMETRY) */
  geometry?: GeometryConfig;
  /** CPUs, for families that can add more walkers (default: the family's own) */
  cpus?: number;
}

export interface Scenario {
  id: string;
  family: string;
  variant: string;
  question: string;
  expect: Exclude<Verdict, 'unknown'>;
  /** where the expectation comes from (commit, mail) */
  source: string;
  config: ScenarioConfig;
  /** What a verified row's verdict is about (DESIGN §4: a proof must explore its question):
   * the fix or proposal to revert, or the guard to turn off, that must turn the row violated.
   * Required on every verified catalog row; test/flips.test.ts checks each one. */
  flips?: Flip;
  build(config: ScenarioConfig): World;
}

/** A change of a row's configuration that removes what its proof rests on. */
export interface Flip {
  /** patch changes appended to the row's own ('-gup-pmd-recheck', '+seqcount-late-bump') */
  patches?: string[];
  /** guards to turn off (src/kernel/guards.ts) */
  mutations?: string[];
  /** another arch profile (e.g. the same kernel without the IPI flush) */
  arch?: string;
  /** why this change is the row's question, in a few words */
  why: string;
}

/** `s` carrying the flip that must turn it violated (catalog files: `withFlip(row(...), {...})`). */
export function withFlip(s: Scenario, flips: Flip): Scenario {
  return { ...s, flips };
}

/** The row with its flip applied. */
export function flipped(s: Scenario): Scenario {
  const f = s.flips;
  if (!f) throw new Error(`${s.id}: no flip stated`);
  const config: ScenarioConfig = {
    ...s.config,
    ...(f.arch ? { arch: f.arch } : {}),
    patches: [...s.config.patches, ...(f.patches ?? [])],
    mutations: [...(s.config.mutations ?? []), ...(f.mutations ?? [])],
  };
  return { ...s, id: `${s.id} (flipped)`, config };
}
