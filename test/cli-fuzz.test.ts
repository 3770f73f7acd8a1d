/**
 * Fuzzing the command line (property-based, fast-check): argument vectors over the known
 * commands and options with random values, unknown flags, missing values, bad numbers,
 * `--shard`-like junk and `--patch` lists, run in-process through `main(argv, io)`. The
 * property: the exit code is 0, 1, 2 or 3 (4 is a bug in mmrace); on 3, stderr is one line
 * 'mmrace: ...'; never a stack trace. Runs that explore are kept small (--max-executions 5 is
 * appended to every check, explain and ui). A few spawned cases check the bin end to end.
 *
 * MMRACE_FUZZ_RUNS sets the runs (default 150).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { main } from '../src/cli/main.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-cli-fuzz-'));
const RUNS = Number(process.env.MMRACE_FUZZ_RUNS ?? 150);
fc.configureGlobal({ includeErrorInReport: true });

/** A stream that keeps what is written to it. */
function sink(): NodeJS.WritableStream & { text: string } {
  const s = {
    text: '',
    write(chunk: string | Uint8Array, ...rest: unknown[]) {
      s.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const cb = rest.find((x) => typeof x === 'function') as (() => void) | undefined;
      cb?.();
      return true;
    },
  };
  return s as unknown as NodeJS.WritableStream & { text: string };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const stdout = sink();
  const stderr = sink();
  const code = await main(argv, { stdout, stderr });
  return { code, out: stdout.text, err: stderr.text };
}

const STACK = /^\s+at .*(:\d+:\d+\)?|native|<anonymous>)$/m;

function assertWellBehaved(argv: string[], r: { code: number; out: string; err: string }): void {
  const where = `argv ${JSON.stringify(argv)}\nexit ${r.code}\nstderr: ${r.err}\nstdout: ${r.out.slice(0, 400)}`;
  assert.ok([0, 1, 2, 3].includes(r.code), `exit code in 0..3: ${where}`);
  assert.doesNotMatch(r.err, STACK, `no stack trace: ${where}`);
  assert.doesNotMatch(r.out, STACK, `no stack trace: ${where}`);
  if (r.code === 3) {
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr: ${where}`);
    assert.match(lines[0], /^mmrace: \S/, where);
  }
}

// --- fixtures: a scenario, a broken scenario, a trace, junk --------------------------------------
const EX = join(ROOT, 'examples/collapse.yaml');
const BAD_YAML = join(TMP, 'bad.yaml');
writeFileSync(BAD_YAML, 'arch: arm64\nkernel: v5.19\nmap: anon-small at 0x4000 pages 4\ncpus:\n  - gup_fast: {addr: 0x4001}\n');
const TRACE = join(TMP, 'trace.json');
const JUNK_JSON = join(TMP, 'junk.json');
writeFileSync(JUNK_JSON, '{"format": "mmrace-trace", "schedule": [1, -1]}');
const OUT = join(TMP, 'out.json');

test('the trace fixture', async () => {
  const r = await run(['check', 'rcu-free/arm64-no-rcu-table-free', '--save-trace', TRACE]);
  assert.equal(r.code, 1, r.err);
});

// --- the generator --------------------------------------------------------------------------------
const COMMANDS = ['list', 'check', 'explain', 'replay', 'ui', 'help'];
/** catalog ids that explore little, files of every kind, junk */
const TARGETS = [
  'collapse/x86-64-pmd-recheck', 'rcu-free/arm64-no-rcu-table-free', 'rcu-free/arm64-batch-alloc-fails', 'pud-walk/rereads',
  'collapse/arm64', 'collapse', 'nope', EX, BAD_YAML, join(TMP, 'missing.yaml'), TRACE, JUNK_JSON, join(TMP, 'missing.json'),
  TMP, '', '-', '--', ' ', 'a.yml', 'x.JSON', '../../../etc/passwd',
];
const NUMBERS = ['0', '1', '5', '-1', '-0', '1.5', '1e3', '0x10', 'NaN', 'Infinity', '', ' 5', '99999999999999999999', '4294967296', 'five', '1/2'];
const PATCHES = ['+gup-pmd-recheck', '-gup-pmd-recheck', '-gup-pte-recheck,+gup-pmd-recheck', ',', '', ' , ', 'gup-pmd-recheck', '+nope', '+', '-', '+gup-pmd-recheck,,-x', '--gup'];

const value = (xs: string[]) => fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...xs) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });
const OPTIONS: Array<[string, fc.Arbitrary<string> | null]> = [
  ['--arch', value(['arm64', 'x86-64', 'x86-32-pae', 'sparc', 'ARM64'])],
  ['--kernel', value(['v6.1', 'v5.19', 'v99.0', 'six', '6.1', 'v6'])],
  ['--patch', value(PATCHES)],
  ['--strategy', value(['dfs', 'random', 'pct', 'bfs', 'DFS'])],
  ['--seed', value(NUMBERS)],
  ['--depth', value(NUMBERS)],
  ['--max-executions', value(NUMBERS)],
  ['--time-limit', value(NUMBERS)],
  ['--format', value(['table', 'commit', 'markdown', 'json', 'html'])],
  ['--port', value(['0', '-1', '65536', 'http'])],
  ['--save-trace', fc.constantFrom(OUT, TMP, join(TMP, 'no/such/dir/t.json'))],
  ['--shard', value(['1/2', '0/0', '3/2', 'x', '1/'])],
  ['--jobs', value(NUMBERS)],
  ['--no-minimize', null], ['--progress', null], ['--no-progress', null], ['--json', null], ['--all', null], ['--full', null],
  ['--paths', null], ['--patches', null], ['--arches', null], ['--help', null], ['-h', null], ['--version', null], ['-V', null],
  ['--frobnicate', null], ['-x', null], ['--', null], ['--max-executions=', null], ['--max-executions=3', null], ['--seed=', null],
];

/** One argument: an option (with or without its value), a target, or junk. */
const piece: fc.Arbitrary<string[]> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(...OPTIONS)
      .chain(([flag, v]): fc.Arbitrary<string[]> => (v ? fc.oneof({ weight: 5, arbitrary: v.map((x) => [flag, x]) }, { weight: 1, arbitrary: fc.constant<string[]>([flag]) }) : fc.constant<string[]>([flag]))),
  },
  { weight: 2, arbitrary: fc.constantFrom(...TARGETS).map((t) => [t]) },
  { weight: 1, arbitrary: fc.string({ maxLength: 8 }).map((s) => [s]) },
);

/** The options each command takes: half the vectors use only these (so that more of them run). */
const SEARCH = ['--arch', '--kernel', '--patch', '--strategy', '--seed', '--depth', '--max-executions', '--time-limit', '--no-minimize', '--progress', '--no-progress', '--json'];
const VALID: Record<string, string[]> = {
  list: ['--json', '--paths', '--patches', '--arches'],
  check: [...SEARCH, '--all', '--save-trace'],
  explain: [...SEARCH, '--format', '--full'],
  replay: ['--format', '--full', '--json'],
  ui: ['--port', '--max-executions', '--time-limit', '--json'],
  help: [],
};
const validPiece = (cmd: string) => fc.constantFrom(...OPTIONS.filter(([f]) => VALID[cmd]?.includes(f))).chain(([flag, v]): fc.Arbitrary<string[]> => (v ? v.map((x) => [flag, x]) : fc.constant([flag])));

const argvs = fc
  .oneof(
    fc.tuple(fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...COMMANDS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), fc.option(fc.constantFrom(...TARGETS), { nil: undefined, freq: 4 }), fc.array(piece, { maxLength: 3 })),
    fc.constantFrom(...COMMANDS.filter((c) => c !== 'help')).chain((cmd) =>
      fc.tuple(fc.constant(cmd), fc.option(fc.constantFrom(...TARGETS.slice(0, 11)), { nil: undefined, freq: 6 }), fc.array(validPiece(cmd), { maxLength: 3 })),
    ),
  )
  .map(([cmd, target, rest]) => {
    const argv = [cmd, ...(target !== undefined ? [target] : []), ...rest.flat()];
    if (cmd === 'ui') argv.splice(1, 0, '--json'); // never start a server here
    // keep the runs that explore small; commander takes the last value of an option
    // and the time limit bounds minimization too (a sample that finds a long counterexample on a
    // large row could otherwise minimize for minutes)
    if (cmd === 'check' || cmd === 'explain' || cmd === 'ui') argv.push('--max-executions', '5', '--time-limit', '10');
    if (argv.includes('--all')) argv.push('--no-minimize');
    return argv;
  });

test('fuzz: argument vectors give exit codes 0-3, one line on bad input, never a stack trace', async () => {
  let explored = 0;
  const codes = [0, 0, 0, 0, 0];
  await fc.assert(
    fc.asyncProperty(argvs, async (argv) => {
      const r = await run(argv);
      codes[r.code] = (codes[r.code] ?? 0) + 1;
      if (/executions/.test(r.out)) explored++;
      assertWellBehaved(argv, r);
    }),
    { numRuns: RUNS },
  );
  console.log(`# exit codes 0-4: ${codes.join(', ')}; ${explored} ran a search`);
});

// --- what the fuzzer found -----------------------------------------------------------------------
const REGRESSIONS: Array<[string[], number, RegExp]> = [
  // commander's '(Did you mean --arches?)' was a second line on stderr
  [['list', '--arch'], 3, /^mmrace: unknown option '--arch' \(did you mean --arches\?\)\n$/],
  // a missing or unknown command printed the whole usage on stderr (now on stdout, and one line on stderr)
  [['help', 'collapse/x86-64-pmd-recheck'], 3, /^mmrace: expected a command: list, check, merge, explain, replay, ui, litmus \(the usage is above\)\n$/],
  [[], 3, /^mmrace: expected a command/],
  // a blank target gave 'mmrace:  : cannot read the trace file (ENOENT)'
  [['replay', ' '], 3, /^mmrace: command-argument value ' ' is invalid for argument 'trace'\. expected a catalog id or a file name, not an empty argument\n$/],
  [['check', ''], 3, /not an empty argument/],
];

for (const [argv, code, message] of REGRESSIONS)
  test(`cli fuzz regression: ${argv.join(' ')}`, async () => {
    const r = await run(argv);
    assertWellBehaved(argv, r);
    assert.equal(r.code, code);
    assert.match(code === 3 ? r.err : r.out, message);
  });

// --- the bin end to end ------------------------------------------------------------------------------
test('the bin: exit codes and messages as in-process, through a spawned node', () => {
  const cases: Array<[string[], number, RegExp | null]> = [
    [['list', '--arches'], 0, /x86-32-pae/],
    [['check', 'rcu-free/arm64-batch-alloc-fails', '--json'], 0, /"verdict": "verified"/],
    [['check', 'rcu-free/arm64-no-rcu-table-free', '--no-minimize'], 1, /violated/],
    [['check', 'collapse/arm64-pmd-recheck', '--max-executions', '5'], 2, /unknown/],
    [['check', 'collapse/arm64-no-recheck', '--max-executions', 'x'], 3, null],
    [['frobnicate'], 3, null],
    [['check', BAD_YAML], 3, null],
  ];
  for (const [argv, code, out] of cases) {
    const r = spawnSync(process.execPath, [MAIN, ...argv], { encoding: 'utf8', timeout: 60_000 });
    assertWellBehaved(argv, { code: r.status ?? -1, out: r.stdout, err: r.stderr });
    assert.equal(r.status, code, `${argv.join(' ')}: ${r.stderr}`);
    if (out) assert.match(r.stdout, out);
  }
});
