/** The built-in catalog: every row of every family. */
import { collapse } from './collapse.js';
import { pudWalk } from './pud-walk.js';
import type { Scenario } from './scenario.js';

export const CATALOG: Scenario[] = [...collapse, ...pudWalk];

export function findScenario(id: string): Scenario | undefined {
  return CATALOG.find((s) => s.id === id);
}
