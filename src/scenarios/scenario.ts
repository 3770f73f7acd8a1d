/**
 * A catalog row: a question from the threads, a configuration (arch profile, kernel profile,
 * patch changes), and a builder that makes a fresh world (initial state + one program per CPU)
 * for every execution. `expect` is kernel history's answer; the checker never reads it.
 */
import type { World } from '../explore/runtime.js';
import type { GeometryConfig } from '../machine/mmu.js';

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
  build(config: ScenarioConfig): World;
}
