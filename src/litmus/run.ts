/**
 * Running litmus tests: parse, lower, run an engine (LKMM's enumerator, or SC through the
 * interleaving explorer), group the outcomes into the states the condition shows, judge the
 * condition, and compare the observation with the file's `Result:` comment.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { enumerate } from '../memory-model/enumerate.js';
import type { EngineResult, MmProgram } from '../memory-model/ops.js';
import { scInterleavings } from '../memory-model/sc-interleavings.js';
import { InputError } from '../scenarios/file.js';
import type { Expected, LitmusTest, Observation } from './ast.js';
import { conditionOk, holds, shownLocations, valueOf } from './condition.js';
import { type HerdReport, compareStates, herdText, observationOf, showCondition, stateLine } from './herd.js';
import { lower } from './lower.js';
import { parseLitmus } from './parser.js';

export type ModelName = 'lkmm' | 'sc';

const ENGINES: Record<ModelName, (p: MmProgram) => EngineResult> = {
  lkmm: (p) => enumerate(p),
  sc: (p) => scInterleavings(p),
};

export interface LitmusResult {
  file: string;
  name: string;
  model: ModelName;
  observation: Observation;
  /** The final states, as herd7's lines. */
  states: string[];
  /** Outcomes (consistent executions) that satisfy the condition's proposition, and that do not. */
  positive: number;
  negative: number;
  /** Whether the condition holds (herd7's Ok). */
  ok: boolean;
  flags: string[];
  executions: number;
  ms: number;
  /** The file's `Result:` comment, if it has one. */
  expected: Expected | null;
  /** null without a `Result:` comment; otherwise whether the result agrees with it. */
  matches: boolean | null;
  /** Why it does not agree (one line). */
  mismatch?: string;
  /** The whole report, as herd7 prints it. */
  herd: string;
}

export interface LitmusFailure {
  file: string;
  error: string;
}

/** Run one parsed test under a model. */
export function runTest(test: LitmusTest, model: ModelName): LitmusResult {
  const t0 = performance.now();
  const { program, layout } = lower(test);
  const engine = ENGINES[model](program);
  if (!engine.complete) throw new InputError(`${test.file}: ${model}: the search budget ran out before every execution was explored`);
  const outcomes = test.filter ? engine.outcomes.filter((o) => holds(test.filter!, o, layout)) : engine.outcomes;
  const locs = shownLocations(test);
  const states = new Map<string, number[]>();
  let positive = 0;
  const flags = new Set<string>();
  for (const o of outcomes) {
    const values = locs.map((l) => valueOf(l, o, layout));
    states.set(values.join(','), values);
    if (holds(test.condition.prop, o, layout)) positive++;
    for (const f of o.flags) flags.add(f);
  }
  const negative = outcomes.length - positive;
  const lines = [...states.values()].sort((a, b) => compareStates(a, b, layout)).map((v) => stateLine(locs, v, layout));
  const observation = observationOf(positive, negative);
  const ms = performance.now() - t0;
  const report: HerdReport = {
    name: test.name,
    quantifier: test.condition.quantifier,
    states: lines,
    ok: conditionOk(test, positive, negative),
    positive,
    negative,
    flags: [...flags].sort(),
    condition: showCondition(test.condition),
    observation,
    seconds: ms / 1000,
  };
  const judged = judge(test.expected, observation, report.flags, model);
  return {
    file: test.file,
    name: test.name,
    model,
    observation,
    states: lines,
    positive,
    negative,
    ok: report.ok,
    flags: report.flags,
    executions: outcomes.length,
    ms: Math.round(ms * 10) / 10,
    expected: test.expected ?? null,
    matches: judged === null ? null : judged === '',
    ...(judged ? { mismatch: judged } : {}),
    herd: herdText(report),
  };
}

/**
 * Compare with the `Result:` comment: '' when it agrees, a reason when not, null without one.
 * Under LKMM, as tools/memory-model/scripts/judgelitmus.sh: a DATARACE marker and a data-race
 * flag go together, and with both the observation is forgiven. The comment states LKMM's result;
 * SC allows a subset of LKMM's executions, so under SC only Never and Always bind (an LKMM
 * Sometimes may be anything under SC) and the data-race marker is not checked.
 */
function judge(expected: Expected | undefined, observation: Observation, flags: string[], model: ModelName): string | null {
  if (!expected) return null;
  if (model === 'sc') {
    if (expected.observation === 'Sometimes' || expected.observation === observation) return '';
    return `${observation} under SC, but the file's Result: says ${expected.observation} (SC allows no more than LKMM)`;
  }
  const race = flags.includes('data-race');
  if (expected.dataRace && !race) return `the file's Result: predicts a data race (DATARACE) that LKMM does not flag`;
  if (!expected.dataRace && race) return `LKMM flags a data race that the file's Result: does not predict (no DATARACE)`;
  if (expected.observation === observation || race) return '';
  return `${observation}, but the file's Result: says ${expected.observation}`;
}

/** Read, parse and run one file; bad input becomes a failure naming the file (and line:col). */
export function runFile(file: string, model: ModelName): LitmusResult | LitmusFailure {
  try {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new InputError(`${file}: cannot read the litmus file (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    return runTest(parseLitmus(file, text), model);
  } catch (err) {
    if (err instanceof InputError) return { file, error: err.message };
    throw err;
  }
}

/** The files to run: each argument a file, or a directory searched for *.litmus (sorted). */
export function litmusFiles(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new InputError(`${p}: no such file or directory`);
    }
    if (!st.isDirectory()) {
      out.push(p);
      continue;
    }
    const found = walk(p).sort();
    if (found.length === 0) throw new InputError(`${p}: no .litmus files in this directory`);
    out.push(...found);
  }
  return out;
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(path));
    else if (e.name.endsWith('.litmus')) out.push(path);
  }
  return out;
}
