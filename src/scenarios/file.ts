/**
 * Scenario files: YAML composing built-in layouts and paths (src/scenarios/paths.ts), checked
 * against a zod schema. Every error names the file, the line and column, and the field, and
 * says what was expected:
 *
 *   examples/bad.yaml:9:19: cpus[0].gup_fast.addr: 0x4001 is not page-aligned (a multiple of 0x1000)
 *
 * The format (README "Scenario files"):
 *
 *   question: Can GUP-fast return a page khugepaged has just collapsed?
 *   arch: arm64                  # mmrace list --arches
 *   kernel: v5.19                # any vX.Y: the patches first released by then
 *   patches: [-gup-pmd-recheck]  # optional: +name adds, -name reverts
 *   geometry: {pte: 2}           # optional: log2 entries per table level
 *   map:                         # the initial memory, as if the page faults had run
 *     - anon-small at 0x4000 pages 4
 *   setup: [vma-tree]            # optional: a family's extra initial state, after the map
 *   cpus:                        # one program per CPU, CPU 0 first
 *     - gup_fast: {addr: 0x4000, pages: 1, flags: [FOLL_PIN, FOLL_WRITE]}
 *     - khugepaged_collapse: {addr: 0x4000}
 *     - [munmap: {addr: 0x4000}, page_fault: {addr: 0x4000}]   # a sequence: one path after the other
 *     - {role: the reclaimer, run: {kswapd: {addr: 0x4000}}}  # any of these, with its role stated
 *   expect: violated             # optional: what you think the answer is (not read by the checker)
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { LineCounter, type Node, isMap, isPair, isScalar, isSeq, parseDocument, visit } from 'yaml';
import { z } from 'zod';
import { ARCHES, PATCHES } from '../kernel/index.js';
import './catalog.js'; // every family registers its paths
import { LAYOUTS, type ScenarioSpec, SpecError, buildFromSpec, resolveSpec, zodMessage } from './paths.js';
import type { Scenario, ScenarioConfig } from './scenario.js';

/** A whole scenario: the registry spec plus configuration and the question. */
export interface FileSpec extends ScenarioSpec {
  id?: string;
  question?: string;
  expect?: 'violated' | 'verified';
  source?: string;
  arch: string;
  kernel: string;
  patches?: string[];
}

/** Bad input: a message for the user, never a stack trace. */
export class InputError extends Error {}

export const archName = z.string().superRefine((v, ctx) => {
  if (!ARCHES[v]) ctx.addIssue({ code: 'custom', message: `unknown arch '${v}' (known: ${Object.keys(ARCHES).join(', ')})` });
});
export const kernelName = z.string().regex(/^v\d+\.\d+$/, "expected a kernel release like 'v6.1'");
export const patchChange = z.string().superRefine((v, ctx) => {
  if (!/^[+-]/.test(v)) ctx.addIssue({ code: 'custom', message: `patch change '${v}' must start with + (add) or - (revert)` });
  else if (!PATCHES[v.slice(1)])
    ctx.addIssue({ code: 'custom', message: `unknown patch '${v.slice(1)}' (known: ${Object.keys(PATCHES).join(', ')})` });
});

const bits = z.number().int().min(0, 'expected 0 to 4 (log2 entries per table)').max(4, 'expected 0 to 4 (log2 entries per table)');
/** pgd, pmd and pte cannot be folded away (src/machine/mmu.ts Geometry) */
const unfolded = z.number().int().min(1, 'expected 1 to 4 (log2 entries per table; this level cannot be folded)').max(4, 'expected 1 to 4 (log2 entries per table)');
const entry = z.record(z.string(), z.unknown());

export const FileSchema = z
  .object({
    id: z.string().regex(/^[\w./-]+$/, 'expected letters, digits, and . _ / -').optional(),
    question: z.string().optional(),
    expect: z.enum(['violated', 'verified']).optional(),
    source: z.string().optional(),
    arch: archName,
    kernel: z.preprocess((v) => (typeof v === 'number' ? String(v) : v), kernelName),
    patches: z.array(patchChange).default([]),
    geometry: z.object({ pgd: unfolded, p4d: bits, pud: bits, pmd: unfolded, pte: unfolded }).partial().strict().optional(),
    frames: z.number().int().min(8).max(4096).optional(),
    map: z.array(entry).min(1, 'expected at least one mapped region'),
    setup: z.array(entry).optional(),
    // each a path, a sequence of paths or {role, run}: resolveSpec checks the forms
    cpus: z.array(z.unknown()).min(1, 'expected at least one CPU program'),
    oracles: z.array(z.string()).optional(),
  })
  .strict();

/** 'anon-small at 0x4000 pages 4 swapcache' -> { 'anon-small': { at: 16384, pages: 4, swapcache: true } } */
function compact(s: string): unknown {
  const [name, ...words] = s.trim().split(/\s+/);
  const args: Record<string, unknown> = {};
  for (let i = 0; i < words.length; i++) {
    const key = words[i];
    const next = words[i + 1];
    if (next !== undefined && /^(0x[0-9a-f]+|\d+|true|false)$/i.test(next)) {
      args[key] = /^(true|false)$/i.test(next) ? next.toLowerCase() === 'true' : Number(next);
      i++;
    } else if (key === 'name' && next !== undefined) {
      args[key] = next; // the one string-valued word: 'anon-small at 0x4000 pages 1 name A'
      i++;
    } else args[key] = true;
  }
  return { [name]: args };
}

/** Accept one entry instead of a list, a bare name for a path without arguments, and the
 * one-line layout form. */
function normalize(raw: unknown): unknown {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  const o = { ...(raw as Record<string, unknown>) };
  const list = (v: unknown) => (v === undefined || Array.isArray(v) ? v : [v]);
  o.map = (list(o.map) as unknown[] | undefined)?.map((e) => (typeof e === 'string' ? compact(e) : e));
  o.cpus = (list(o.cpus) as unknown[] | undefined)?.map((e) => (typeof e === 'string' && !/\s/.test(e) ? { [e]: {} } : e));
  o.setup = (list(o.setup) as unknown[] | undefined)?.map((e) => (typeof e === 'string' ? compact(e) : e));
  if (typeof o.patches === 'string') o.patches = o.patches.split(/[\s,]+/).filter(Boolean);
  return o;
}

export function fieldName(path: Array<string | number | symbol>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out || '(top level)';
}

/** Build a scenario from a spec (typed API); throws SpecError / InputError for bad specs. */
export function scenarioFromSpec(spec: FileSpec, where = 'spec'): Scenario {
  const parsed = FileSchema.safeParse(normalize(spec));
  if (!parsed.success) {
    const i = parsed.error.issues.find((x) => x.code === 'unrecognized_keys') ?? parsed.error.issues[0];
    throw new SpecError(issuePath(i), issueMessage(i), i.code === 'unrecognized_keys');
  }
  const s = parsed.data as FileSpec;
  const resolved = resolveSpec(s);
  const config: ScenarioConfig = { arch: s.arch, kernel: s.kernel, patches: s.patches ?? [] };
  buildFromSpec(s, config, resolved); // check addresses against the layout once, up front
  const id = s.id ?? `file/${basename(where).replace(/\.ya?ml$/, '')}`;
  const [family, ...rest] = id.includes('/') ? id.split('/') : ['file', id];
  return {
    id,
    family,
    variant: rest.join('/'),
    question: s.question ?? `${where}: which interleavings break an oracle?`,
    // a file need not state an expectation; the checker never reads it
    expect: (s.expect ?? 'unstated') as Scenario['expect'],
    source: s.source ?? where,
    config,
    build: (c) => buildFromSpec(s, c, resolved),
    spec: s,
  } as Scenario & { spec: FileSpec };
}

function issuePath(i: z.core.$ZodIssue): Array<string | number> {
  const p = i.path as Array<string | number>;
  return i.code === 'unrecognized_keys' ? [...p, i.keys[0]] : p;
}

const TOP = Object.keys(FileSchema.shape);
function issueMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'unrecognized_keys')
    return `unknown field '${i.keys[0]}' (expected ${i.path.length === 0 ? TOP.join(', ') : 'pgd, p4d, pud, pmd, pte'})`;
  return zodMessage(i);
}

/** Position of the deepest YAML node along `path` (1-based line and column). */
function positionOf(doc: ReturnType<typeof parseDocument>, lc: LineCounter, path: Array<string | number>, atKey: boolean): { line: number; col: number } {
  let node: Node | null = doc.contents as Node | null;
  let at = node?.range?.[0] ?? 0;
  for (const key of path) {
    if (!node) break;
    if (isSeq(node) && typeof key === 'number') {
      const n = node.items[key] as Node | undefined;
      if (!n) break;
      node = n;
    } else if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) break;
      const v = pair.value as Node | null;
      if (!v || !v.range || (atKey && key === path[path.length - 1])) {
        at = (pair.key as Node).range?.[0] ?? at;
        node = null;
        break;
      }
      node = v;
    } else if (typeof key === 'number' && key === 0) continue; // a single entry written without a list
    else break;
    at = node.range?.[0] ?? at;
  }
  const pos = lc.linePos(at);
  return { line: pos.line, col: pos.col };
}

/** The file's text; bytes that are not UTF-8 are an error naming where the first one is (Node's
 * own decoding would silently turn them into U+FFFD). */
function utf8(file: string, bytes: Buffer): string {
  const decodes = (b: Uint8Array) => {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
      return true;
    } catch {
      return false;
    }
  };
  if (decodes(bytes)) return new TextDecoder('utf-8').decode(bytes);
  let start = 0;
  for (let line = 1; ; line++) {
    const nl = bytes.indexOf(0x0a, start);
    const end = nl < 0 ? bytes.length : nl;
    if (!decodes(bytes.subarray(start, end))) {
      // the text up to the first bad sequence (stream: a character cut by the prefix is pending)
      const d = new TextDecoder('utf-8', { fatal: true });
      let ok = '';
      for (let n = start; n < end; n++) {
        try {
          ok += d.decode(bytes.subarray(n, n + 1), { stream: true });
        } catch {
          break;
        }
      }
      const at = start + Buffer.byteLength(ok);
      throw new InputError(`${file}: not UTF-8 text: byte 0x${bytes[at].toString(16).padStart(2, '0')} at line ${line}, column ${ok.length + 1}`);
    }
    start = end + 1;
  }
}

/** Load and check a scenario file; every problem is an InputError 'file:line:col: field: message'. */
export function loadScenarioFile(file: string, overrides: Partial<ScenarioConfig> = {}): Scenario & { spec: FileSpec } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new InputError(`${file}: cannot read the scenario file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const text = utf8(file, bytes);
  if (!text.trim()) throw new InputError(`${file}: the file is empty (expected a mapping with arch, kernel, map and cpus; see examples/)`);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    const e = doc.errors[0];
    const pos = lc.linePos(e.pos[0]);
    throw new InputError(`${file}:${pos.line}:${pos.col}: malformed YAML: ${e.message.split('\n')[0]}`);
  }
  let raw;
  try {
    raw = doc.toJS();
  } catch (err) {
    // an alias to an anchor not yet set, too many aliases (the yaml library's resource limit)
    let at = (doc.contents as Node | null)?.range?.[0] ?? 0;
    visit(doc, {
      Alias(_, node) {
        if (node.range && !node.resolve(doc)) {
          at = node.range[0];
          return visit.BREAK;
        }
      },
    });
    const pos = lc.linePos(at);
    throw new InputError(`${file}:${pos.line}:${pos.col}: malformed YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    const pos = lc.linePos((doc.contents as Node | null)?.range?.[0] ?? 0);
    if (raw === null || raw === undefined) throw new InputError(`${file}: nothing in the file but comments (expected a mapping with arch, kernel, map and cpus; see examples/)`);
    const what = Array.isArray(raw) ? 'a list' : `the ${typeof raw} ${JSON.stringify(raw).slice(0, 40)}`;
    throw new InputError(`${file}:${pos.line}:${pos.col}: (top level): expected a mapping with arch, kernel, map and cpus (see examples/), not ${what}`);
  }
  const spec: Record<string, unknown> = { ...raw };
  if (overrides.arch !== undefined) spec.arch = overrides.arch;
  if (overrides.kernel !== undefined) spec.kernel = overrides.kernel;
  if (overrides.patches?.length) {
    // --patch changes go after the file's own
    const own = typeof raw.patches === 'string' ? raw.patches.split(/[\s,]+/).filter(Boolean) : Array.isArray(raw.patches) ? raw.patches : [];
    spec.patches = [...own, ...overrides.patches];
  }
  try {
    return scenarioFromSpec(spec as unknown as FileSpec, file) as Scenario & { spec: FileSpec };
  } catch (err) {
    if (err instanceof SpecError) {
      // an override from the command line is not in the file
      const top = err.path[0];
      const fromCli = top === 'patches' ? typeof err.path[1] === 'number' && err.path[1] >= (spec.patches as unknown[]).length - (overrides.patches?.length ?? 0) : top === 'arch' || top === 'kernel';
      if (typeof top === 'string' && fromCli && overrides[top as keyof ScenarioConfig] !== undefined)
        throw new InputError(`--${top === 'patches' ? 'patch' : top}: ${err.message}`);
      const pos = positionOf(doc, lc, err.path, err.atKey);
      throw new InputError(`${file}:${pos.line}:${pos.col}: ${fieldName(err.path)}${inSequence(err.path, spec.cpus)}: ${err.message}`);
    }
    throw err;
  }
}

/** For an error inside a CPU's sequence of paths: which element, of how many, and its path
 * (' (path 2 of 3 on CPU 1: page_fault)'); '' elsewhere. */
export function inSequence(path: Array<string | number>, cpus: unknown): string {
  if (path[0] !== 'cpus' || typeof path[1] !== 'number' || !Array.isArray(cpus)) return '';
  const cpu = path[1];
  const entry: unknown = cpus[cpu];
  const [seq, rest] = path[2] === 'run' && entry && typeof entry === 'object' && !Array.isArray(entry) ? [(entry as { run?: unknown }).run, path.slice(3)] : [entry, path.slice(2)];
  if (!Array.isArray(seq) || typeof rest[0] !== 'number') return '';
  const name = typeof rest[1] === 'string' ? `: ${rest[1]}` : '';
  return ` (path ${rest[0] + 1} of ${seq.length} on CPU ${cpu}${name})`;
}

export function describeRegistry(): string {
  return [...LAYOUTS.values()].map((l) => `${l.name}: ${l.description}`).join('\n');
}
