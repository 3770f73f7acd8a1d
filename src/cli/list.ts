/**
 * `mmrace list`: the catalog, or the registry a scenario file can name (paths and layouts,
 * patches and kernel profiles, arches). Several of --paths, --patches, --arches list each in
 * turn (under a heading; in JSON, one object keyed by section); the columns fit their longest
 * entry.
 */
import { ARCHES } from '../kernel/arch/index.js';
import { KERNELS, PATCHES } from '../kernel/patches.js';
import { CATALOG } from '../scenarios/catalog.js';
import { registry, registryText } from '../scenarios/describe.js';

export interface ListOptions {
  json?: boolean;
  paths?: boolean;
  patches?: boolean;
  arches?: boolean;
}

interface Section {
  heading: string;
  json: unknown;
  text: string[];
}

/** Cells padded to each column's longest (the last column as it is). */
function columns(rows: string[][]): string[] {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => r[i].length))) ?? [];
  return rows.map((r) => r.map((c, i) => (i < r.length - 1 ? c.padEnd(widths[i]) : c)).join(' ').trimEnd());
}

/** Layouts, setups and paths with their arguments' types, defaults and allowed values. */
function paths(): Section {
  const rows = registry();
  return { heading: 'paths and layouts', json: rows, text: rows.flatMap((r) => registryText(r).split('\n')) };
}

function patches(): Section {
  const rows = Object.values(PATCHES);
  const text = columns(rows.map((p) => [p.name, p.release, p.commit, p.title]));
  text.push('', `kernel profiles: any vX.Y (the patches released by then); the catalog uses ${KERNELS.join(', ')}`);
  return { heading: 'patches', json: { patches: rows, kernels: KERNELS }, text };
}

function arches(): Section {
  const rows = Object.values(ARCHES).map((a) => ({ name: a.name, kernels: a.kernels, cpu: a.cpu, rcuTableFree: a.rcuTableFree, description: a.description }));
  const lines = columns(rows.map((r) => [r.name, `kernels ${r.kernels}`, r.description]));
  const indent = ' '.repeat(Math.max(...rows.map((r) => r.name.length)) + 1);
  return { heading: 'arches', json: rows, text: lines.flatMap((l, i) => [l, `${indent}cpu: ${rows[i].cpu}`]) };
}

function catalog(): Section {
  const rows = CATALOG.map((s) => ({ id: s.id, family: s.family, variant: s.variant, question: s.question, expect: s.expect }));
  return { heading: 'catalog', json: rows, text: columns(rows.map((r) => [r.id, `expect ${r.expect}`, r.question])) };
}

/** What `mmrace list` prints for these options. */
export function listing(o: ListOptions): string {
  const asked = [o.paths && paths(), o.patches && patches(), o.arches && arches()].filter((s): s is Section => !!s);
  const sections = asked.length ? asked : [catalog()];
  if (o.json) {
    const keys = ['paths', 'patches', 'arches'].filter((k) => o[k as keyof ListOptions]);
    return JSON.stringify(sections.length === 1 ? sections[0].json : Object.fromEntries(sections.map((s, i) => [keys[i], s.json])), null, 2);
  }
  if (sections.length === 1) return sections[0].text.join('\n');
  return sections.map((s) => [`${s.heading}:`, ...s.text].join('\n')).join('\n\n');
}
