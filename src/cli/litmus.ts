/** `mmrace litmus`: run C litmus tests and print herd7's report for each, or a JSON array. */
import { type LitmusFailure, type LitmusResult, type ModelName, litmusFiles, runFile } from '../litmus/run.js';

export interface LitmusOptions {
  model: ModelName;
  json?: boolean;
}

/**
 * Run every file and give the exit code: 3 when the only file is bad input; otherwise 1 when a
 * file is bad or a result differs from its file's `Result:` comment, else 0.
 */
export function litmusCommand(paths: string[], o: LitmusOptions, out: (text: string) => void, err: (text: string) => void): number {
  const files = litmusFiles(paths);
  const results: Array<LitmusResult | LitmusFailure> = [];
  for (const file of files) {
    const r = runFile(file, o.model);
    results.push(r);
    if (o.json) continue;
    if ('error' in r) err(`mmrace: ${r.error}`);
    else {
      out(r.herd + '\n');
      if (r.mismatch) err(`mmrace: ${r.file}: ${r.name}: ${r.mismatch}`);
    }
  }
  if (o.json) out(JSON.stringify(results.map(jsonOf), null, 2));
  if (files.length === 1 && 'error' in results[0]) return 3;
  return results.every((r) => !('error' in r) && r.matches !== false) ? 0 : 1;
}

function jsonOf(r: LitmusResult | LitmusFailure): object {
  if ('error' in r) return r;
  const { herd: _herd, ...rest } = r;
  return rest;
}
