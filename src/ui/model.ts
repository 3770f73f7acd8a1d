/**
 * What the trace viewer's server hands the page (GET /api/trace): one or more traces, each its
 * steps in order and the ghost state before the first step and after each step. Types only, so
 * that the browser code can import them.
 */
import type { MachineInfo, Snapshot } from '../kernel/snapshot.js';
import type { ThreadKind, ViolationInfo } from '../explore/runtime.js';

export const UI_FORMAT = 'mmrace-ui/1';

/** One column of the CPU table: a CPU's task context, its interrupt context, or its RCU callbacks. */
export interface UiColumn {
  key: string;
  cpu: number;
  kind: ThreadKind;
  label: string;
}

export interface UiStep {
  index: number;
  thread: number;
  threadName: string;
  /** UiColumn.key */
  col: string;
  cpu: number;
  kind: ThreadKind;
  fn: string;
  stack: string[];
  op: string;
  target: string;
  read?: unknown;
  wrote?: unknown;
  notes: string[];
  /** the element of its CPU's path sequence ('page_fault (2/2)'), for sequences */
  path?: string;
  /** touches a location another thread also touches, with a write on one side */
  racing: boolean;
}

export interface UiTrace {
  /** what this trace is: 'counterexample', 'observation: <kind>', 'first execution' */
  label: string;
  violation: ViolationInfo | null;
  columns: UiColumn[];
  steps: UiStep[];
  /** states[0]: before the first step (null when not recorded); states[i]: after step i-1 */
  states: Array<Snapshot | null>;
  schedule?: number[];
  preemptions?: number;
}

export interface UiBundle {
  format: typeof UI_FORMAT;
  id: string;
  question?: string;
  config?: unknown;
  verdict?: string;
  expect?: string;
  /** how it was made: 'check' (ran the explorer), 'file <path>' */
  origin: string;
  /** e.g. "12345 executions in 2.1 s" */
  summary?: string;
  machine: MachineInfo | null;
  traces: UiTrace[];
}
