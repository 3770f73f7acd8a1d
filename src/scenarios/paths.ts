/**
 * The registry of built-in kernel paths and initial memory layouts that scenarios compose:
 * a YAML scenario file, the typed API (`buildFromSpec`) and the catalog builders all go through
 * it. A family registers its paths with one call each:
 *
 *   definePath('khugepaged_collapse', {
 *     description: 'khugepaged collapsing the PMD range at addr into a THP',
 *     args: z.object({ addr: Address }),
 *     run: (c, a) => khugepaged_collapse(c, a.addr),
 *     check: (a, env) => env.requireRange(a.addr, 1, ['addr'], { align: 'pmd' }),
 *   });
 *
 * `args` is a zod schema (its errors name the field); `check` validates the arguments against
 * the laid-out memory (aligned, mapped, ...) by throwing `ArgError(field, message)`; `run`
 * gives the program, once per execution, after the layout is in memory. A path marked
 * `process: true` runs in the process (its CPU is in mm_cpumask and its TLB holds the mm's
 * translations); the others are kernel threads.
 */
import { z } from 'zod';
import type { World } from '../explore/runtime.js';
import { type Ctx, DEFAULT_GEOMETRY, Geometry, type Kernel, PAGE_SIZE, PGD, PMD, type Program, PTE } from '../kernel/index.js';
import type { ScenarioConfig } from './scenario.js';
import { type OracleDef, ORACLES, userOracles } from './oracles.js';
import { bootFor, makeWorld } from './world.js';

/** A bad argument: `field` is the path inside the entry's arguments (['addr'], ['flags', 1]). */
export class ArgError extends Error {
  constructor(
    readonly field: Array<string | number>,
    message: string,
  ) {
    super(message);
  }
}

export const hexs = (v: number) => '0x' + v.toString(16);

/** A virtual address: a whole number (YAML reads 0x4000 as one) or a '0x...' string. */
export const Address = z
  .union([z.number().int().nonnegative(), z.string().regex(/^0x[0-9a-fA-F]+$/, 'expected an address like 0x4000')], {
    error: 'expected an address like 0x4000 (a whole number from 0, or a hex string)',
  })
  .transform((v) => (typeof v === 'number' ? v : parseInt(v, 16)));

/** A mapped region of the initial layout. `pfns[i]` is the page mapped at start + i * PAGE_SIZE. */
export interface Region {
  layout: string;
  /** the VMA's name, when the layout was given one (name: A) */
  name?: string;
  start: number;
  end: number;
  pfns: number[];
  /** head pfn of a THP */
  head?: number;
  /** what a family's paths need to know about the region (the dev_dax device, the vma, ...) */
  extra?: Record<string, unknown>;
}

/** What `check` and `run` see: the booted kernel with its layout. */
export class Env {
  readonly regions: Region[] = [];
  /** what setups leave for paths (the VMA tree, ...) */
  readonly state = new Map<string, unknown>();
  constructor(readonly kernel: Kernel) {}

  get geometry(): Geometry {
    return this.kernel.machine.geometry;
  }

  /** The region holding [addr, addr + pages pages), after checking alignment. */
  requireRange(addr: number, pages: number, field: Array<string | number>, opts: { align?: 'page' | 'pmd' } = {}): Region {
    const align = opts.align === 'pmd' ? this.geometry.size(PMD) : PAGE_SIZE;
    if (addr % align !== 0)
      throw new ArgError(field, `${hexs(addr)} is not ${opts.align === 'pmd' ? 'PMD' : 'page'}-aligned (a multiple of ${hexs(align)})`);
    const end = addr + pages * PAGE_SIZE;
    const r = this.regions.find((x) => addr >= x.start && end <= x.end);
    if (!r) {
      const mapped = this.regions.map((x) => `${x.layout} [${hexs(x.start)}, ${hexs(x.end)})`).join(', ') || 'nothing';
      throw new ArgError(field, `[${hexs(addr)}, ${hexs(end)}) is not inside one mapped region (mapped: ${mapped})`);
    }
    return r;
  }

  /** The size of the virtual address space (PGD entries times what each maps). */
  get space(): number {
    const g = this.geometry;
    return g.size(PGD) * g.entries(PGD);
  }

  /** [addr, addr + pages pages) lies inside the address space (a range a path walks, unmaps or
   * maps need not be mapped, but must exist: a huge page count would walk for ever). */
  requireInSpace(addr: number, pages: number, field: Array<string | number>, pagesField: Array<string | number> = ['pages']): void {
    const space = this.space;
    if (addr >= space) throw new ArgError(field, `${hexs(addr)} is outside the address space [0, ${hexs(space)})`);
    if (addr + pages * PAGE_SIZE > space)
      throw new ArgError(pagesField, `${pages} pages at ${hexs(addr)} run past the end of the address space ${hexs(space)}`);
  }

  /** [addr, addr + pages pages) covers each mapped region it touches whole: the VMA tree of the
   * model has one fixed slot per region and no splits (src/kernel/mm/vma_tree.ts), so munmap and
   * mmap(MAP_FIXED) must take whole regions. */
  requireWholeRegions(addr: number, pages: number, field: Array<string | number>): void {
    const end = addr + pages * PAGE_SIZE;
    const cut = this.regions.find((r) => r.start < end && addr < r.end && (r.start < addr || r.end > end));
    if (cut)
      throw new ArgError(
        field,
        `[${hexs(addr)}, ${hexs(end)}) covers part of ${cut.layout} [${hexs(cut.start)}, ${hexs(cut.end)}): the model does not split VMAs, so cover whole regions`,
      );
  }

  /** Every region that [addr, addr + pages pages) touches is laid out by one of `layouts`;
   * `why` says which part of the model is limited to them. */
  requireLayouts(addr: number, pages: number, field: Array<string | number>, layouts: string[], why: string): void {
    const end = addr + pages * PAGE_SIZE;
    const r = this.regions.find((x) => x.start < end && addr < x.end && !layouts.includes(x.layout));
    if (r) throw new ArgError(field, `[${hexs(addr)}, ${hexs(end)}) touches ${r.layout} [${hexs(r.start)}, ${hexs(r.end)}): ${why}`);
  }

  /** What the paths checked so far do to which ranges (see claim). */
  private readonly claims: Array<{ kind: string; path: string; start: number; end: number }> = [];

  /** Path `path` does `kind` to [addr, addr + pages pages); it must not overlap a range another
   * path claimed for one of the `conflicts` kinds: two paths the model does not let race (the
   * second one checked, whichever CPU comes first, reports it). */
  claim(path: string, kind: string, addr: number, pages: number, field: Array<string | number>, conflicts: Record<string, string>): void {
    const end = addr + pages * PAGE_SIZE;
    const c = this.claims.find((x) => conflicts[x.kind] !== undefined && x.start < end && addr < x.end);
    if (c) throw new ArgError(field, `${path} and ${c.path} over [${hexs(Math.max(addr, c.start))}, ${hexs(Math.min(end, c.end))}): ${conflicts[c.kind]}`);
    this.claims.push({ kind, path, start: addr, end });
  }

  /** The page initially mapped at addr. */
  pageAt(addr: number, field: Array<string | number>): number {
    const r = this.requireRange(addr, 1, field);
    return r.pfns[(addr - r.start) / PAGE_SIZE];
  }

  /** The THP initially mapped at addr (anywhere inside it). */
  thpAt(addr: number, field: Array<string | number>): number {
    const r = this.requireRange(addr - (addr % PAGE_SIZE), 1, field);
    if (r.head === undefined) throw new ArgError(field, `${hexs(addr)} is mapped by ${r.layout}, not by a THP`);
    return r.head;
  }
}

export interface PathDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: S;
  /** runs in the process (CPU in mm_cpumask) rather than as a kernel thread */
  process?: boolean;
  check?(args: z.output<S>, env: Env): void;
  run(c: Ctx, args: z.output<S>, env: Env): Program<unknown>;
}

export interface LayoutDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: S;
  /** positional words of the one-line form, in order ('anon-small at 0x4000 pages 4') */
  words?: string[];
  /** Lays the region out in memory (not steps); throws ArgError for bad arguments. */
  apply(k: Kernel, args: z.output<S>, env: Env): Region;
}

/** A setup step after the layouts, before the programs (a family's extra initial state: the
 * VMA tree over the mapped regions, a failing allocation, ...). */
export interface SetupDef<S extends z.ZodType = z.ZodType> {
  name: string;
  description: string;
  args: S;
  apply(k: Kernel, args: z.output<S>, env: Env): void;
}

export const SETUPS = new Map<string, SetupDef>();

export function defineSetup<S extends z.ZodType>(name: string, def: Omit<SetupDef<S>, 'name'>): SetupDef<S> {
  if (SETUPS.has(name)) throw new Error(`setup '${name}' is already defined`);
  const d = { name, ...def } as SetupDef<S>;
  SETUPS.set(name, d as unknown as SetupDef);
  return d;
}

export const PATHS = new Map<string, PathDef>();
export const LAYOUTS = new Map<string, LayoutDef>();

export function definePath<S extends z.ZodType>(name: string, def: Omit<PathDef<S>, 'name'>): PathDef<S> {
  if (PATHS.has(name)) throw new Error(`path '${name}' is already defined`);
  if (name === 'run' || name === 'role') throw new Error(`path name '${name}' is taken by the {role, run} form of a CPU entry`);
  const d = { name, ...def } as PathDef<S>;
  PATHS.set(name, d as unknown as PathDef);
  return d;
}

export function defineLayout<S extends z.ZodType>(name: string, def: Omit<LayoutDef<S>, 'name'>): LayoutDef<S> {
  if (LAYOUTS.has(name)) throw new Error(`layout '${name}' is already defined`);
  const d = { name, ...def } as LayoutDef<S>;
  LAYOUTS.set(name, d as unknown as LayoutDef);
  return d;
}

/** A scenario composed from the registry, as written in a YAML file or built in TypeScript. */
export interface ScenarioSpec {
  /** log2 entries per table level; omitted levels keep the default (pgd 1, p4d 0, pud 1, pmd 1, pte 2) */
  geometry?: Partial<Record<'pgd' | 'p4d' | 'pud' | 'pmd' | 'pte', number>>;
  frames?: number;
  /** initial memory: one entry per region, { layoutName: args } */
  map: Array<Record<string, unknown>>;
  /** one program per CPU, CPU 0 first: { pathName: args }, a sequence of them run in order, or
   * either with the CPU's role stated ({ role: 'the writer', run: ... }) */
  cpus: CpuEntry[];
  /** after the layouts: { setupName: args } */
  setup?: Array<Record<string, unknown>>;
  /** CPU indices in the order their threads are created, which is the order the explorer tries
   * them in (default 0, 1, 2, ...); the catalog uses it to keep a family's exploration order */
  threadOrder?: number[];
  /** user-defined final-state properties (defineOracle) to check besides the built-in ones */
  oracles?: string[];
}

/** One path: { pathName: args }, or its bare name when it takes no arguments. */
export type PathEntry = Record<string, unknown> | string;

/** What one CPU runs: a path, a sequence of paths run in order on that CPU (one task), or
 * either with its role in the scenario stated (shown in traces and messages). */
export type CpuEntry = PathEntry | PathEntry[] | { role: string; run: PathEntry | PathEntry[] };

/** One registry reference: an object with exactly one key, the name. */
export function entryName(e: Record<string, unknown>): [string, unknown] {
  const keys = Object.keys(e);
  if (keys.length !== 1) throw new ArgError([], `expected exactly one name per entry, got ${keys.length ? keys.join(', ') : 'none'}`);
  return [keys[0], e[keys[0]]];
}

/** Where a spec error is: ['cpus', 1, 'khugepaged_collapse', 'addr'] etc. */
export class SpecError extends Error {
  constructor(
    readonly path: Array<string | number>,
    message: string,
    /** the error is about the key itself (an unknown name), not its value */
    readonly atKey = false,
  ) {
    super(message);
  }
}

function parseArgs<S extends z.ZodType>(schema: S, raw: unknown, at: Array<string | number>): z.output<S> {
  const r = schema.safeParse(raw ?? {});
  if (r.success) return r.data;
  // unknown arguments first: a misspelt name also makes the right one missing
  const i = r.error.issues.find((x) => x.code === 'unrecognized_keys') ?? r.error.issues[0];
  const path = [...at, ...(i.path as Array<string | number>)];
  let value: unknown = raw;
  for (const key of i.path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  if (i.code === 'unrecognized_keys') {
    const known = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
    throw new SpecError([...path, i.keys[0]], `unknown argument '${i.keys[0]}' (expected ${known.length ? known.join(', ') : 'no arguments'})`, true);
  }
  throw new SpecError(path, value === undefined && i.path.length ? 'missing (a required argument)' : zodMessage(i));
}

export function geometryOf(spec: Pick<ScenarioSpec, 'geometry'>) {
  return { bits: { ...DEFAULT_GEOMETRY.bits, ...(spec.geometry ?? {}) } };
}

interface ResolvedPath {
  def: PathDef;
  args: unknown;
  at: Array<string | number>;
}

/** A CPU's program: its paths in order, and its role when stated. */
export interface ResolvedCpu {
  role?: string;
  paths: ResolvedPath[];
}

interface Resolved {
  map: Array<{ def: LayoutDef; args: unknown; at: Array<string | number> }>;
  setup: Array<{ def: SetupDef; args: unknown; at: Array<string | number> }>;
  cpus: ResolvedCpu[];
  oracles: OracleDef[];
}

/** Check names and argument schemas; throws SpecError naming the field. */
export function resolveSpec(spec: ScenarioSpec): Resolved {
  const map = spec.map.map((e, i) => {
    const [name, raw] = named(e, ['map', i]);
    const def = LAYOUTS.get(name);
    if (!def) throw new SpecError(['map', i, name], `unknown layout '${name}' (known: ${[...LAYOUTS.keys()].join(', ')})`, true);
    return { def, args: parseArgs(def.args, raw, ['map', i, name]), at: ['map', i, name] };
  });
  const setup = (spec.setup ?? []).map((e, i) => {
    const [name, raw] = named(e, ['setup', i]);
    const def = SETUPS.get(name);
    if (!def) throw new SpecError(['setup', i, name], `unknown setup '${name}' (known: ${[...SETUPS.keys()].join(', ') || 'none'})`, true);
    return { def, args: parseArgs(def.args, raw, ['setup', i, name]), at: ['setup', i, name] };
  });
  if (spec.cpus.length === 0) throw new SpecError(['cpus'], 'expected at least one CPU program');
  const cpus = spec.cpus.map((e, i) => resolveCpu(e, ['cpus', i]));
  const oracles = (spec.oracles ?? []).map((name, i) => {
    const def = ORACLES.get(name);
    if (!def) throw new SpecError(['oracles', i], `unknown oracle '${name}' (defined with defineOracle: ${[...ORACLES.keys()].join(', ') || 'none'})`);
    return def;
  });
  return { map, setup, cpus, oracles };
}

const CPU_FORMS = 'expected {path: {args}}, a path name, a list of them (run in order), or {role, run}';

/** A CPU entry: one path, a sequence, or {role, run} around either. */
function resolveCpu(e: unknown, at: Array<string | number>): ResolvedCpu {
  if (e && typeof e === 'object' && !Array.isArray(e) && ('run' in e || 'role' in e)) {
    const extra = Object.keys(e).find((key) => key !== 'run' && key !== 'role');
    if (extra !== undefined) throw new SpecError([...at, extra], `unknown field '${extra}' of a {role, run} entry (expected role and run)`, true);
    const { role, run } = e as { role?: unknown; run?: unknown };
    if (run === undefined) throw new SpecError(at, 'missing run: the path, or the list of paths, this CPU runs');
    if (role !== undefined && (typeof role !== 'string' || !role.trim())) throw new SpecError([...at, 'role'], 'expected a few words saying what this CPU does');
    return { ...(typeof role === 'string' ? { role: role.trim() } : {}), ...resolveCpu(run, [...at, 'run']) };
  }
  if (!Array.isArray(e)) return { paths: [resolvePath(e, at)] };
  if (e.length === 0) throw new SpecError(at, 'expected at least one path in the sequence');
  return { paths: e.map((x, j) => resolvePath(x, [...at, j], true)) };
}

function resolvePath(e: unknown, at: Array<string | number>, inSequence = false): ResolvedPath {
  if (typeof e === 'string' && /^\S+$/.test(e)) e = { [e]: {} }; // a path without arguments: its bare name
  if (!e || typeof e !== 'object' || Array.isArray(e))
    throw new SpecError(at, Array.isArray(e) && inSequence ? 'a sequence cannot hold another sequence: list its paths in one' : `${CPU_FORMS}, not ${JSON.stringify(e)}`);
  const [name, raw] = named(e as Record<string, unknown>, at);
  const def = PATHS.get(name);
  if (!def) throw new SpecError([...at, name], `unknown path '${name}' (known: ${[...PATHS.keys()].join(', ')})`, true);
  return { def, args: parseArgs(def.args, raw, [...at, name]), at: [...at, name] };
}

function named(e: Record<string, unknown>, at: Array<string | number>): [string, unknown] {
  try {
    return entryName(e);
  } catch (err) {
    if (err instanceof ArgError) throw new SpecError(at, err.message);
    throw err;
  }
}

/** Boot, lay out memory, check arguments against it, give one program per CPU. */
export function buildFromSpec(spec: ScenarioSpec, config: ScenarioConfig, resolved = resolveSpec(spec)): World {
  const mmCpus = resolved.cpus.flatMap((c, i) => (c.paths.some((p) => p.def.process) ? [i] : []));
  const k = bootFor(config, { cpus: resolved.cpus.length, mmCpus, geometry: config.geometry ?? geometryOf(spec), frames: spec.frames });
  const env = new Env(k);
  const space = k.machine.geometry.size(PGD) * k.machine.geometry.entries(PGD);
  const wrap = <T>(at: Array<string | number>, f: () => T, setupStep = false): T => {
    try {
      return f();
    } catch (err) {
      if (err instanceof ArgError) throw new SpecError([...at, ...err.field], err.message);
      // laying out memory fails on what the file asked for (no room for the device range, ...)
      if (setupStep && err instanceof Error && !(err instanceof SpecError)) throw new SpecError(at, err.message);
      throw err;
    }
  };
  for (const m of resolved.map) {
    const region = wrap(m.at, () => {
      const a = m.args as { at?: number };
      if (a.at !== undefined && a.at >= space) throw new ArgError(['at'], `${hexs(a.at)} is outside the address space [0, ${hexs(space)})`);
      const r = m.def.apply(k, m.args, env);
      if (r.end > space) throw new ArgError([], `[${hexs(r.start)}, ${hexs(r.end)}) runs past the end of the address space ${hexs(space)}`);
      const clash = env.regions.find((x) => r.start < x.end && x.start < r.end);
      if (clash) throw new ArgError(['at'], `[${hexs(r.start)}, ${hexs(r.end)}) overlaps ${clash.layout} [${hexs(clash.start)}, ${hexs(clash.end)})`);
      return r;
    }, true);
    const name = (m.args as { name?: string }).name;
    if (name !== undefined) {
      if (env.regions.some((x) => x.name === name)) throw new SpecError([...m.at, 'name'], `a region is already named '${name}'`);
      region.name = name;
    }
    env.regions.push(region);
  }
  for (const x of resolved.setup) wrap(x.at, () => x.def.apply(k, x.args, env), true);
  for (const c of resolved.cpus.flatMap((x) => x.paths))
    wrap(c.at, () => {
      const a = c.args as { addr?: unknown; pages?: unknown };
      if (typeof a.addr === 'number') env.requireInSpace(a.addr, typeof a.pages === 'number' ? a.pages : 1, ['addr']);
      c.def.check?.(c.args, env);
    });
  const order = spec.threadOrder ?? resolved.cpus.map((_, i) => i);
  return makeWorld(
    k,
    order.map((i) => {
      const c = resolved.cpus[i];
      return { name: `cpu${i}`, cpu: i, path: c.paths.map((p) => p.def.name).join(', '), role: c.role, run: (ctx: Ctx) => runCpu(ctx, c, env) };
    }),
    resolved.oracles.length ? userOracles(resolved.oracles, k, env) : undefined,
  );
}

/** A CPU's program. The paths of a sequence run one after the other in one task, each
 * announced by a ghost `path` effect so that traces show where it starts; their programs are
 * made up front, like a lone path's. */
function runCpu(ctx: Ctx, c: ResolvedCpu, env: Env): Program<unknown> {
  if (c.paths.length === 1) return c.paths[0].def.run(ctx, c.paths[0].args, env);
  const programs = c.paths.map((p) => p.def.run(ctx, p.args, env));
  const n = c.paths.length;
  return (function* (): Program<unknown> {
    let r: unknown;
    for (const [j, program] of programs.entries()) {
      yield { op: 'path', name: `${c.paths[j].def.name} (${j + 1}/${n})` };
      r = yield* program;
    }
    return r;
  })();
}

/** Pages in a pte table (a PMD range) under the spec's geometry. */
export function pmdPages(spec: Pick<ScenarioSpec, 'geometry'>): number {
  return new Geometry(geometryOf(spec)).entries(PTE);
}

/** A zod issue's message, with 'received undefined' said plainly. */
export function zodMessage(i: z.core.$ZodIssue): string {
  if (i.code === 'invalid_union' && i.message === 'Invalid input') {
    // zod says only 'Invalid input': say which types would do
    const expected = [...new Set(i.errors.flatMap((e) => e.map((x) => (x.code === 'invalid_type' ? x.expected : null)).filter(Boolean)))];
    return expected.length ? `expected ${expected.join(' or ')}` : 'not one of the accepted forms';
  }
  return i.message
    .replace(/^Too (small|big): expected int /, 'expected a whole number ')
    .replace(/^Too (small|big): /, '')
    .replace(/^Invalid option: expected one of (.*)$/, (_, list: string) => `expected one of ${list.replace(/"/g, '').split('|').join(', ')}`)
    .replace(/^Invalid input: expected (.*), received undefined$/, 'missing (expected $1)').replace(/^Invalid input: /, '');
}
