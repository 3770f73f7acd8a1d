/** The built-in catalog: every row of every family. */
import { collapse } from './collapse.js';
import { reclaim } from './reclaim.js';
import { seqcount } from './seqcount.js';
import { split } from './split.js';
import { rcuFree } from './rcu-free.js';
import { mmapOverlap } from './mmap-overlap.js';
import type { Scenario } from './scenario.js';

export const CATALOG: Scenario[] = [...collapse, ...reclaim, ...split, ...seqcount, ...rcuFree, ...mmapOverlap];

export function findScenario(id: string): Scenario | undefined {
  return CATALOG.find((s) => s.id === id);
}
