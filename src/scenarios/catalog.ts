/** The built-in catalog: every row of every family. */
import { collapse } from './collapse.js';
import { mmapOverlap } from './mmap-overlap.js';
import { pudWalk } from './pud-walk.js';
import { rcuFree } from './rcu-free.js';
import { reclaim } from './reclaim.js';
import { paeTear } from './pae-tear.js';
import type { Scenario } from './scenario.js';
import { seqcount } from './seqcount.js';
import { split } from './split.js';

export const CATALOG: Scenario[] = [...collapse, ...reclaim, ...split, ...rcuFree, ...pudWalk, ...mmapOverlap, ...seqcount, ...paeTear];

export function findScenario(id: string): Scenario | undefined {
  return CATALOG.find((s) => s.id === id);
}
