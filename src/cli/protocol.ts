/**
 * What the main thread (run.ts) and the search workers (worker.ts) say to each other.
 *
 * Shared words (Int32Array over `shared`): NEXT item to take, STOP_AT (the lowest violated item
 * index), EXECUTIONS counted by all workers (the --max-executions budget). The SIGINT flag is
 * separate and set by the main thread.
 */
import type { CheckOptions, CheckResult } from '../explore/check.js';
import type { ExploreResult } from '../explore/dpor.js';
import type { Job, TraceFile } from './scenarios.js';

export const NEXT = 0;
export const STOP_AT = 1;
export const EXECUTIONS = 2;
export const SHARED_WORDS = 3;

export type Options = Omit<CheckOptions, 'shouldStop' | 'onProgress'>;

export type WorkerRequest =
  | { type: 'items'; job: Job; options: Options; shared: SharedArrayBuffer; deadline?: number; shard?: [number, number] }
  | { type: 'report'; index: number; job: Job; options: Options; explore: ExploreResult; t0: number }
  | { type: 'check'; index: number; job: Job; options: Options };

export type WorkerMessage =
  | { type: 'partition'; items: number; sleepBlocked: number }
  | { type: 'item'; item: number; result: ExploreResult }
  | { type: 'items-done' }
  | { type: 'progress'; id: string; executions: number; phase: 'explore' | 'minimize' }
  | { type: 'result'; index: number; result: CheckResult; trace: TraceFile | null }
  | { type: 'error'; message: string; stack?: string; /** bad input (a scenario outside the model), not a bug */ input?: boolean };

