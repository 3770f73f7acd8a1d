/** The built-in catalog: every row of every family. */
import { collapse } from './collapse.js';
import { paeTear } from './pae-tear.js';
import type { Scenario } from './scenario.js';

export const CATALOG: Scenario[] = [...collapse, ...paeTear];

export function findScenario(id: string): Scenario | undefined {
  return CATALOG.find((s) => s.id === id);
}
