/**
 * What the CLI checks: a catalog id or a scenario file, with --arch/--kernel/--patch applied;
 * and trace files (a Counterexample with where it came from, so `mmrace replay` can rebuild it).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { CheckResult } from '../explore/check.js';
import type { Counterexample } from '../explore/trace.js';
import { CATALOG, findScenario } from '../scenarios/catalog.js';
import { type FileSpec, InputError, archName, kernelName, loadScenarioFile, patchChange, scenarioFromSpec } from '../scenarios/file.js';
import { SpecError } from '../scenarios/paths.js';
import type { Scenario, ScenarioConfig } from '../scenarios/scenario.js';

export interface Overrides {
  arch?: string;
  kernel?: string;
  /** appended to the scenario's own patch changes */
  patches?: string[];
}

/** Where a scenario comes from: enough to rebuild it in a worker or from a trace file. */
export type Origin = { catalog: string } | { file: string; spec: FileSpec };

export interface Job {
  origin: Origin;
  overrides: Overrides;
}

export const isFile = (target: string) => /\.ya?ml$/i.test(target);

function checkOverride(flag: string, schema: z.ZodType, v: string): void {
  const r = schema.safeParse(v);
  if (!r.success) throw new InputError(`${flag}: ${r.error.issues[0].message}`);
}

export function validateOverrides(o: Overrides): void {
  if (o.arch !== undefined) checkOverride('--arch', archName, o.arch);
  if (o.kernel !== undefined) checkOverride('--kernel', kernelName, o.kernel);
  for (const p of o.patches ?? []) checkOverride('--patch', patchChange, p);
}

/** A catalog id or a YAML file, resolved and validated (InputError for bad input). */
export function resolveTarget(target: string, overrides: Overrides): { job: Job; scenario: Scenario } {
  validateOverrides(overrides);
  if (isFile(target)) {
    const s = loadScenarioFile(target, overrides);
    return { job: { origin: { file: target, spec: s.spec }, overrides }, scenario: s };
  }
  const s = findScenario(target);
  if (!s) {
    const near = CATALOG.filter((x) => x.family === target || x.id.startsWith(target)).map((x) => x.id);
    throw new InputError(
      `unknown scenario '${target}': not a catalog id (see 'mmrace list')${near.length ? `; did you mean ${near.slice(0, 4).join(', ')}?` : ''}, nor a .yaml file`,
    );
  }
  return { job: { origin: { catalog: target }, overrides }, scenario: withOverrides(s, overrides) };
}

export function withOverrides(s: Scenario, o: Overrides): Scenario {
  const config: ScenarioConfig = {
    ...s.config,
    arch: o.arch ?? s.config.arch,
    kernel: o.kernel ?? s.config.kernel,
    patches: [...s.config.patches, ...(o.patches ?? [])],
  };
  return { ...s, config };
}

/** Rebuild a job's scenario (in the worker, or for replay). */
export function scenarioOf(job: Job): Scenario {
  if ('catalog' in job.origin) {
    const s = findScenario(job.origin.catalog);
    if (!s) throw new InputError(`unknown scenario '${job.origin.catalog}' (see 'mmrace list')`);
    return withOverrides(s, job.overrides);
  }
  try {
    return scenarioFromSpec(job.origin.spec, job.origin.file); // the spec already holds the overrides
  } catch (err) {
    if (err instanceof SpecError) throw new InputError(`${job.origin.file}: ${err.path.join('.')}: ${err.message}`);
    throw err;
  }
}

/** A trace file: the counterexample plus where its scenario comes from. */
export interface TraceFile extends Counterexample {
  format: 'mmrace-trace';
  version: 1;
  origin: Origin;
  strategy?: string;
  seed?: number;
}

export function traceFile(r: CheckResult, job: Job): TraceFile | null {
  if (!r.trace) return null;
  return { format: 'mmrace-trace', version: 1, origin: job.origin, ...r.trace, strategy: r.strategy, seed: r.seed };
}

const TraceSchema = z.object({
  format: z.literal('mmrace-trace'),
  origin: z.union([z.object({ catalog: z.string() }), z.object({ file: z.string(), spec: z.record(z.string(), z.unknown()) })]),
  config: z.object({ arch: z.string(), kernel: z.string(), patches: z.array(z.string()) }).passthrough(),
  schedule: z.array(z.number().int().nonnegative()),
  violation: z.object({ property: z.string(), message: z.string(), step: z.number() }),
  steps: z.array(z.unknown()),
});

/** A JSON file's content; InputError naming the file when it cannot be read or parsed. */
export function readJsonFile(file: string, what: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new InputError(`${file}: ${e.code ? `cannot read the ${what} (${e.code})` : `not JSON: ${e.message}`}`);
  }
}

/** Read a trace file: a trace, or `check --json` output holding one. */
export function readTrace(file: string): TraceFile {
  let raw = readJsonFile(file, 'trace file');
  if (Array.isArray(raw)) {
    const withTrace = raw.filter((x) => x && typeof x === 'object' && 'trace' in x && x.trace);
    if (withTrace.length !== 1) throw new InputError(`${file}: holds ${withTrace.length} counterexamples; replay takes one (check --save-trace FILE writes one)`);
    raw = withTrace[0];
  }
  if (raw && typeof raw === 'object' && 'trace' in raw && !('schedule' in raw)) {
    if (!raw.trace) throw new InputError(`${file}: no counterexample in it (the verdict was not violated)`);
    raw = raw.trace;
  }
  const r = TraceSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${file}: not an mmrace trace: ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  // a later format may mean something else by the same fields: refused, not guessed at
  const version = (raw as { version?: unknown }).version;
  if (version !== 1) throw new InputError(`${file}: trace version ${JSON.stringify(version ?? null)} is not one this mmrace reads (it reads version 1)`);
  return raw as TraceFile;
}

/** The job that rebuilds a trace's scenario with the trace's own configuration. */
export function traceJob(t: TraceFile): { job: Job; scenario: Scenario } {
  const job: Job = { origin: t.origin, overrides: {} };
  const base = scenarioOf(job);
  const c = t.config as ScenarioConfig;
  validateOverrides({ arch: c.arch, kernel: c.kernel, patches: c.patches });
  return { job, scenario: { ...base, config: { ...c } } };
}
