/**
 * Building what the viewer shows from a catalog id, a scenario, or a trace file: every trace is
 * replayed on a fresh world so that the state before the first step is known too, and each
 * recorded step carries the world's snapshot after it (World.snapshot).
 */
import { readFileSync } from 'node:fs';
import { type CheckOptions, type CheckResult, check } from '../explore/check.js';
import { Execution, type StepRecord, type ThreadKind, type ViolationInfo, type World, replay } from '../explore/runtime.js';
import { type Counterexample, racingLocations, rolesOf } from '../explore/trace.js';
import { type Snapshot, machineInfo } from '../kernel/snapshot.js';
import { findScenario } from '../scenarios/catalog.js';
import type { Scenario } from '../scenarios/scenario.js';
import { UI_FORMAT, type UiBundle, type UiColumn, type UiStep, type UiTrace } from './model.js';

const KIND_ORDER: Record<ThreadKind, number> = { task: 0, irq: 1, rcu: 2 };

export function columnKey(cpu: number, kind: ThreadKind): string {
  return kind === 'task' ? `cpu${cpu}` : `cpu${cpu}-${kind}`;
}

function columnLabel(cpu: number, kind: ThreadKind, role?: string): string {
  return kind === 'task' ? `CPU ${cpu}${role ? ` · ${role}` : ''}` : kind === 'irq' ? `CPU ${cpu} · interrupt` : `CPU ${cpu} · RCU callback`;
}

/** Steps (with their recorded states) and the initial state as one viewer trace; `roles`: what
 * each CPU does, where the scenario states it. */
export function uiTrace(
  label: string,
  steps: StepRecord[],
  violation: ViolationInfo | null,
  initial: Snapshot | null,
  extra: Partial<UiTrace> = {},
  roles: Record<number, string> = {},
): UiTrace {
  const racing = racingLocations(steps);
  const cols = new Map<string, UiColumn>();
  for (const s of steps) {
    const key = columnKey(s.cpu, s.kind);
    if (!cols.has(key)) cols.set(key, { key, cpu: s.cpu, kind: s.kind, label: columnLabel(s.cpu, s.kind, roles[s.cpu]) });
  }
  const columns = [...cols.values()].sort((a, b) => a.cpu - b.cpu || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  const uiSteps: UiStep[] = steps.map((s) => ({
    index: s.index,
    thread: s.thread,
    threadName: s.threadName,
    col: columnKey(s.cpu, s.kind),
    cpu: s.cpu,
    kind: s.kind,
    fn: s.fn,
    stack: s.stack,
    op: s.op,
    target: s.target,
    read: s.read,
    wrote: s.wrote,
    notes: s.notes,
    ...(s.path ? { path: s.path } : {}),
    racing: !!s.locs && [...s.locs.r, ...s.locs.w].some((l) => racing.has(l)),
  }));
  const states = [initial, ...steps.map((s) => (s.state as Snapshot | undefined) ?? null)];
  return { label, violation, columns, steps: uiSteps, states, ...extra };
}

/** A step that broke a property while it executed is recorded without a state (the runtime
 * stops there); the execution ends with it, so the world's state now is the state after it. */
function fillLastState(world: World, steps: StepRecord[]): void {
  const last = steps[steps.length - 1];
  if (last && last.state === undefined && world.snapshot) last.state = world.snapshot();
}

/** Replay a schedule on a fresh world, keeping the state before the first step. */
export function replayTrace(world: World, label: string, schedule: number[], extra: Partial<UiTrace> = {}): UiTrace {
  const initial = (world.snapshot?.() as Snapshot | undefined) ?? null;
  const exec = replay(world, schedule);
  fillLastState(world, exec.trace);
  return uiTrace(label, exec.trace, exec.violation, initial, { schedule, ...extra }, rolesOf(world));
}

/** The first execution the explorer would run: always the lowest-numbered enabled thread. */
export function firstExecution(world: World): UiTrace {
  const initial = (world.snapshot?.() as Snapshot | undefined) ?? null;
  const exec = new Execution(world, true);
  const schedule: number[] = [];
  for (;;) {
    const en = exec.enabled();
    if (en.length === 0) break;
    schedule.push(en[0]);
    exec.step(en[0]);
  }
  exec.finish();
  fillLastState(world, exec.trace);
  return uiTrace('first execution', exec.trace, exec.violation, initial, { schedule }, rolesOf(world));
}

function summarize(r: CheckResult): string {
  const parts = [`${r.executions} executions in ${(r.ms / 1000).toFixed(2)} s`];
  if (r.budget) parts.push(`budget reached: ${r.budget}`);
  if (r.cutAtBound) parts.push(`${r.cutAtBound} cut at a retry-loop bound`);
  return parts.join('; ');
}

/** Check a scenario and show its counterexample; when verified, its observations, or else the
 * first execution. */
export function bundleFromScenario(s: Scenario, opts: CheckOptions = {}): UiBundle {
  const r = check(s, opts);
  return bundleFromResult(s, r);
}

export function bundleFromResult(s: Scenario, r: CheckResult): UiBundle {
  const make = () => s.build(s.config);
  const traces: UiTrace[] = [];
  if (r.trace) traces.push(replayTrace(make(), 'counterexample', r.trace.schedule, { preemptions: r.trace.preemptions }));
  for (const o of r.observations) traces.push(replayTrace(make(), `observation: ${o.kind}`, o.trace.schedule, { violation: o.trace.violation }));
  if (traces.length === 0) traces.push(firstExecution(make()));
  return {
    format: UI_FORMAT,
    id: s.id,
    question: s.question,
    config: s.config,
    verdict: r.verdict,
    expect: s.expect,
    origin: 'check',
    summary: summarize(r),
    machine: machineInfo(make().machine),
    traces,
  };
}

function isCounterexample(x: unknown): x is Counterexample {
  const c = x as Counterexample;
  return !!c && typeof c === 'object' && Array.isArray(c.schedule) && Array.isArray(c.steps) && !!c.violation;
}
function isCheckResult(x: unknown): x is CheckResult {
  const c = x as CheckResult;
  return !!c && typeof c === 'object' && typeof c.verdict === 'string' && 'trace' in c && Array.isArray(c.observations);
}

/** A counterexample as `mmrace explain --format json` writes it: replayed when its scenario is
 * in the catalog (so the state before the first step is shown), else shown as recorded. */
function traceFromCounterexample(cx: Counterexample, label: string): { trace: UiTrace; scenario: Scenario | undefined } {
  const s = findScenario(cx.id);
  if (s) {
    try {
      const world = s.build((cx.config as Scenario['config']) ?? s.config);
      const t = replayTrace(world, label, cx.schedule, { preemptions: cx.preemptions });
      // keep the file's violation (observations carry theirs only in the file)
      if (!t.violation || label !== 'counterexample') t.violation = cx.violation;
      return { trace: t, scenario: s };
    } catch {
      // the model changed since the file was written: show the steps as recorded
    }
  }
  return { trace: uiTrace(label, cx.steps, cx.violation, null, { schedule: cx.schedule, preemptions: cx.preemptions }, cx.roles), scenario: s };
}

/** A trace file: `explain --format json` (a counterexample) or `check <id> --json` (a result). */
export function bundleFromFile(path: string): UiBundle {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`${path}: ${e.code ? `cannot read the trace file (${e.code})` : `not JSON (truncated?): ${e.message}`}`);
  }
  const traces: UiTrace[] = [];
  let id = '';
  let scenario: Scenario | undefined;
  let verdict: string | undefined;
  let config: unknown;
  if (isCounterexample(data)) {
    const r = traceFromCounterexample(data, 'counterexample');
    traces.push(r.trace);
    id = data.id;
    scenario = r.scenario;
    config = data.config;
  } else if (isCheckResult(data)) {
    id = data.id;
    verdict = data.verdict;
    if (data.trace) {
      const r = traceFromCounterexample(data.trace, 'counterexample');
      traces.push(r.trace);
      scenario = r.scenario;
      config = data.trace.config;
    }
    for (const o of data.observations) {
      const r = traceFromCounterexample(o.trace, `observation: ${o.kind}`);
      traces.push(r.trace);
      scenario ??= r.scenario;
      config ??= o.trace.config;
    }
    scenario ??= findScenario(id);
  } else {
    throw new Error(`${path}: not a trace (expected the output of 'mmrace explain <id> --format json' or 'mmrace check <id> --json')`);
  }
  if (traces.length === 0) throw new Error(`${path}: ${id} has no counterexample or observation to show`);
  const world = scenario?.build((config as Scenario['config']) ?? scenario.config);
  return {
    format: UI_FORMAT,
    id,
    question: scenario?.question,
    config: config ?? scenario?.config,
    verdict,
    expect: scenario?.expect,
    origin: `file ${path}`,
    machine: world ? machineInfo(world.machine) : null,
    traces,
  };
}

/** Scenario files (YAML) are read by a loader registered here, so that `mmrace ui` takes them
 * as soon as a loader exists; it returns the scenario or throws with the file, line and field. */
export type ScenarioFileLoader = (path: string) => Scenario;
let scenarioFileLoader: ScenarioFileLoader | null = null;
export function registerScenarioFileLoader(f: ScenarioFileLoader): void {
  scenarioFileLoader = f;
}

/** What `mmrace ui <arg>` shows: a catalog id, a trace file (.json), or a scenario file (.yaml). */
export function bundleFor(arg: string, opts: CheckOptions = {}): UiBundle {
  if (/\.json$/i.test(arg)) return bundleFromFile(arg);
  if (/\.ya?ml$/i.test(arg)) {
    if (!scenarioFileLoader) throw new Error(`${arg}: reading scenario files needs the YAML scenario loader, which this build does not have`);
    return bundleFromScenario(scenarioFileLoader(arg), opts);
  }
  const s = findScenario(arg);
  if (!s) throw new Error(`unknown scenario '${arg}' (see 'mmrace list'), and not a .json trace or .yaml scenario file`);
  return bundleFromScenario(s, opts);
}
