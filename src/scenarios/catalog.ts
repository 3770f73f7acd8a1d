/** The built-in catalog: every row of every family, in the order of DESIGN.md §1. */
import { collapse } from './collapse.js';
import { invlpgb } from './invlpgb.js';
import { mmapOverlap } from './mmap-overlap.js';
import { pudWalk } from './pud-walk.js';
import { rcuFree } from './rcu-free.js';
import { paeTear } from './pae-tear.js';
import { reclaim } from './reclaim.js';
import type { Scenario } from './scenario.js';
import { seqcount } from './seqcount.js';
import { split } from './split.js';

export const CATALOG: Scenario[] = [...collapse, ...reclaim, ...paeTear, ...split, ...rcuFree, ...pudWalk, ...mmapOverlap, ...seqcount, ...invlpgb];

export function findScenario(id: string): Scenario | undefined {
  return CATALOG.find((s) => s.id === id);
}
