/** Errors in a litmus file: bad input, reported as `file:line:col: message` (the CLI exits 3). */
import { InputError } from '../scenarios/file.js';

/** A position in the source text (1-based). */
export interface Pos {
  line: number;
  col: number;
}

/** A litmus file the front end cannot take: a syntax error, an unknown name, a bad argument. */
export class LitmusError extends InputError {
  constructor(
    readonly file: string,
    readonly pos: Pos,
    readonly detail: string,
  ) {
    super(`${file}:${pos.line}:${pos.col}: ${detail}`);
  }
}

/** A test whose run goes wrong: a thread dereferences a value that is not a location. */
export class LitmusRuntimeError extends InputError {}
