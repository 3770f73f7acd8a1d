/**
 * One public surface: src/kernel/index.ts ('mmrace/kernel', re-exported by 'mmrace') re-exports
 * every module of the model's kernel, and the built-in scenario files (src/scenarios/, where the
 * paths are registered) import the kernel and the machine only through it. So whatever a
 * built-in path uses, a user's path can import from the package.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as api from '../src/api.js';
import * as kernel from '../src/kernel/index.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SURFACE = 'src/kernel/index.ts';
/** machine modules a path is written with (effects, MMU constants); the rest is the explorer's */
const MACHINE_SURFACE = ['src/machine/effects.ts', 'src/machine/mmu.ts'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? tsFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** The repo-relative files a source file imports or re-exports from (relative specifiers). */
function importsOf(root: string, file: string): string[] {
  const { importedFiles } = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
  return importedFiles
    .map((f) => f.fileName)
    .filter((s) => s.startsWith('.'))
    .map((s) => relative(root, resolve(root, dirname(file), s)).replace(/\.js$/, '.ts'));
}

/** Every way the surface rule is broken in the tree at `root`, one line each. */
export function surfaceProblems(root: string): string[] {
  const problems: string[] = [];
  const reexported = new Set(importsOf(root, SURFACE));
  const modules = [...tsFiles(join(root, 'src/kernel')).map((f) => relative(root, f)).filter((f) => f !== SURFACE), ...MACHINE_SURFACE];
  for (const m of modules)
    if (!reexported.has(m)) problems.push(`${SURFACE} does not re-export ${m} (add: export * from '${relative(dirname(SURFACE), m).replace(/\.ts$/, '.js').replace(/^(?!\.)/, './')}';)`);
  for (const f of tsFiles(join(root, 'src/scenarios')).map((x) => relative(root, x)))
    for (const m of importsOf(root, f))
      if ((m.startsWith('src/kernel/') || m.startsWith('src/machine/')) && m !== SURFACE)
        problems.push(`${f} imports ${m}: import the kernel through ${SURFACE}, the public surface ('mmrace/kernel')`);
  return problems;
}

test('surface: every kernel module is re-exported by src/kernel/index.ts, and src/scenarios imports the kernel only through it', () => {
  assert.deepEqual(surfaceProblems(ROOT), []);
});

test('surface: the check catches a path file importing a kernel module directly, and a module the surface leaves out', () => {
  const root = mkdtempSync(join(tmpdir(), 'mmrace-surface-'));
  for (const d of ['src/kernel/mm', 'src/machine', 'src/scenarios']) mkdirSync(join(root, d), { recursive: true });
  const put = (f: string, text: string) => writeFileSync(join(root, f), text);
  put('src/machine/effects.ts', 'export type Program<T> = Generator<unknown, T, unknown>;\n');
  put('src/machine/mmu.ts', 'export const PAGE_SIZE = 4096;\n');
  put('src/kernel/mm/fork.ts', 'export function* copy_page_range() {}\n');
  put('src/kernel/mm/gup.ts', 'export const FOLL_PIN = 1;\n');
  put(SURFACE, "export * from '../machine/effects.js';\nexport * from '../machine/mmu.js';\nexport * from './mm/gup.js';\n");
  put('src/scenarios/fork.ts', "import { z } from 'zod';\nimport { FOLL_PIN } from '../kernel/index.js';\nimport { copy_page_range } from '../kernel/mm/fork.js';\n");
  assert.deepEqual(surfaceProblems(root), [
    `${SURFACE} does not re-export src/kernel/mm/fork.ts (add: export * from './mm/fork.js';)`,
    `src/scenarios/fork.ts imports src/kernel/mm/fork.ts: import the kernel through ${SURFACE}, the public surface ('mmrace/kernel')`,
  ]);
  rmSync(root, { recursive: true, force: true });
});

test("surface: 'mmrace' re-exports every value of 'mmrace/kernel', the same objects", () => {
  const a = api as Record<string, unknown>;
  const missing = Object.keys(kernel).filter((name) => a[name] !== (kernel as Record<string, unknown>)[name]);
  assert.deepEqual(missing, []);
  // the helpers the issue names, by their kernel names
  for (const name of ['spin_lock', 'spin_unlock', 'pte_offset_map_lock', 'folio_ref_add', 'folio_put', 'alloc_pages', 'zap_page_range_single', 'tlb_gather_mmu', 'vma_start_write', 'mmap_write_lock', 'set_entry', 'get_and_clear', 'WARN_ON', 'VM_BUG_ON'])
    assert.equal(typeof a[name], 'function', name);
});
