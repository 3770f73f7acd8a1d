/**
 * Shards of one exhaustive search (`check --shard i/N`) and their merge (`mmrace merge`): a
 * shard file holds the job (where the scenario comes from), the options, which shard it is, and
 * the raw result of each work item it ran; merge checks that the files are the N shards of one
 * search, combines the items in index order and reports as `check` would (minimization and
 * replay happen here, once).
 */
import { InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { type CheckResult, report } from '../explore/check.js';
import type { ExploreResult } from '../explore/dpor.js';
import { InputError } from '../scenarios/file.js';
import type { Scenario } from '../scenarios/scenario.js';
import { type ShardResult, combined } from './run.js';
import { type Job, type TraceFile, readJsonFile, scenarioOf, traceFile } from './scenarios.js';
import type { Options } from './protocol.js';

/** '2/4' -> [2, 4] (1-based, as Playwright's --shard and a Slurm array's 1..N). */
export function parseShard(v: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  if (!m || n < 1 || i < 1 || i > n || n > 100000) throw new InvalidArgumentError('expected i/N with 1 <= i <= N, e.g. 2/4');
  return [i, n];
}

type Serial<T> = Omit<T, 'observed' | 'races'> & { observed: Array<[string, { message: string; schedule: number[] }]>; races?: Array<[string, number]> };

export interface ShardFile {
  format: 'mmrace-shard';
  version: 1;
  job: Job;
  options: Options;
  shard: [number, number];
  items: number;
  sleepBlocked: number;
  budget: string | null;
  results: Array<{ item: number; result: Serial<ExploreResult> }>;
}

export function shardFile(job: Job, options: Options, shard: [number, number], s: ShardResult): ShardFile {
  const results = s.results.map(({ item, result }) => ({ item, result: { ...result, observed: [...result.observed], races: [...(result.races ?? [])] } }));
  return { format: 'mmrace-shard', version: 1, job, options, shard, items: s.items, sleepBlocked: s.sleepBlocked, budget: s.budget, results };
}

const Result = z
  .object({
    verdict: z.enum(['violated', 'verified', 'unknown']),
    executions: z.number().int().nonnegative(),
    sleepBlocked: z.number().int().nonnegative(),
    cutAtBound: z.number().int().nonnegative(),
    maxDepth: z.number().int().nonnegative(),
    ms: z.number(),
    observed: z.array(z.tuple([z.string(), z.object({ message: z.string(), schedule: z.array(z.number().int()) })])),
    found: z.object({ violation: z.object({ property: z.string(), message: z.string(), step: z.number() }).passthrough(), schedule: z.array(z.number().int()) }).optional(),
    budget: z.string().optional(),
    races: z.array(z.tuple([z.string(), z.number().int().min(1).max(3)])).optional(),
  })
  .strict();

const Shard = z.object({
  format: z.literal('mmrace-shard'),
  version: z.literal(1),
  job: z.object({ origin: z.record(z.string(), z.unknown()), overrides: z.record(z.string(), z.unknown()) }),
  options: z.record(z.string(), z.unknown()),
  shard: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  items: z.number().int().nonnegative(),
  sleepBlocked: z.number().int().nonnegative(),
  budget: z.string().nullable(),
  results: z.array(z.object({ item: z.number().int().nonnegative(), result: Result })),
});

function readShard(file: string): ShardFile {
  const r = Shard.safeParse(readJsonFile(file, 'shard file'));
  if (!r.success) {
    const i = r.error.issues[0];
    throw new InputError(`${file}: not an mmrace shard (check --shard i/N writes one): ${i.path.join('.') || '(top level)'}: ${i.message}`);
  }
  return r.data as unknown as ShardFile;
}

/** The N shards of one search, combined and reported. */
export function mergeShards(files: string[]): { result: CheckResult; trace: TraceFile | null; job: Job; scenario: Scenario } {
  const shards = files.map((f) => ({ file: f, s: readShard(f) }));
  const first = shards[0];
  const n = first.s.shard[1];
  const same = (a: ShardFile) => JSON.stringify([a.job, a.options, a.items, a.sleepBlocked, a.shard[1]]);
  for (const { file, s } of shards) {
    if (same(s) !== same(first.s)) throw new InputError(`${file}: shard ${s.shard.join('/')} is of another search than ${first.file} (scenario, options, N or split differ)`);
  }
  const seen = new Map<number, string>();
  for (const { file, s } of shards) {
    if (seen.has(s.shard[0])) throw new InputError(`${file}: shard ${s.shard[0]}/${n} is given twice (also ${seen.get(s.shard[0])})`);
    seen.set(s.shard[0], file);
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length) throw new InputError(`missing shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${n}`).join(', ')} of ${n}`);
  const results: Array<ExploreResult | undefined> = new Array(first.s.items).fill(undefined);
  for (const { file, s } of shards)
    for (const { item, result } of s.results) {
      if (item >= s.items || (item % n) + 1 !== s.shard[0]) throw new InputError(`${file}: item ${item} does not belong to shard ${s.shard.join('/')}`);
      results[item] = { ...result, observed: new Map(result.observed), races: new Map(result.races ?? []) } as ExploreResult;
    }
  const budget = shards.map(({ s }) => s.budget).find((b) => b !== null) ?? undefined;
  const explore = combined({ sleepBlocked: first.s.sleepBlocked, results, budget });
  const job = first.s.job;
  const scenario = scenarioOf(job);
  const result = report(scenario, explore, first.s.options);
  result.ms = shards.reduce((t, { s }) => t + s.results.reduce((u, x) => u + x.result.ms, 0), 0);
  return { result, trace: traceFile(result, job), job, scenario };
}
