/** The command line: every command and option, exit codes, and bad input (message + code 3,
 * never a stack trace). Runs the built CLI as a child process. */
import assert from 'node:assert/strict';
import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ARCHES } from '../src/kernel/arch/index.js';
import { CATALOG } from '../src/scenarios/catalog.js';
import { LAYOUTS, PATHS, SETUPS } from '../src/scenarios/paths.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MAIN = join(ROOT, 'dist/src/cli/main.js');
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-cli-'));
const EX = (f: string) => join(ROOT, 'examples', f);

function run(...args: string[]): SpawnSyncReturns<string> & { out: string; err: string } {
  return runEnv({}, ...args);
}

function runEnv(env: Record<string, string>, ...args: string[]): SpawnSyncReturns<string> & { out: string; err: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', cwd: TMP, timeout: 120_000, env: { ...process.env, ...env } });
  return Object.assign(r, { out: r.stdout, err: r.stderr });
}

function file(name: string, text: string): string {
  const p = join(TMP, name);
  writeFileSync(p, text);
  return p;
}

/** Bad input: exit 3, one line naming the problem, no stack trace. */
function bad(r: ReturnType<typeof run>, message: RegExp): void {
  assert.equal(r.status, 3, `exit code 3; stderr: ${r.err}; stdout: ${r.out}`);
  assert.match(r.err, message);
  assert.doesNotMatch(r.err, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
}

const GOOD = (cpus: string, map = 'anon-small at 0x4000 pages 4', head = 'arch: arm64\nkernel: v5.19\n') => `${head}map: ${map}\ncpus:\n${cpus}`;

// --- list ---------------------------------------------------------------------------------
test('list: the catalog, as text and JSON', () => {
  const r = run('list');
  assert.equal(r.status, 0);
  for (const s of CATALOG) assert.ok(r.out.includes(s.id), s.id);
  const j = run('list', '--json');
  assert.deepEqual(JSON.parse(j.out).map((x: { id: string }) => x.id), CATALOG.map((s) => s.id));
});

test('list --paths / --patches / --arches: the registry a scenario file can name', () => {
  const p = run('list', '--paths');
  assert.equal(p.status, 0);
  for (const n of ['anon-small', 'anon-thp', 'dev-dax', 'gup_fast', 'khugepaged_collapse', 'kswapd', 'alloc_page', 'deferred_split', 'mincore', 'dev_dax_touch']) assert.ok(p.out.includes(n), n);
  assert.match(p.out, /^path {4}gup_fast {15}\{addr, pages = 1, flags = \[FOLL_PIN, FOLL_WRITE\]\} {2}\(process\)$/m);
  assert.match(p.out, /^ {8}flags: a list of FOLL_WRITE, FOLL_GET, FOLL_PIN$/m);
  type Entry = { kind: string; name: string; process?: boolean; args: Array<{ name: string; type: string; required: boolean; default?: unknown; values?: unknown[] }>; schema: { type: string } };
  const pj = JSON.parse(run('list', '--paths', '--json').out) as Entry[];
  // every registered layout, setup and path, each with its arguments, their defaults and values
  assert.deepEqual(pj.map((x) => `${x.kind} ${x.name}`), [
    ...[...LAYOUTS.keys()].map((n) => `layout ${n}`),
    ...[...SETUPS.keys()].map((n) => `setup ${n}`),
    ...[...PATHS.keys()].map((n) => `path ${n}`),
  ]);
  const gup = pj.find((x) => x.name === 'gup_fast')!;
  assert.equal(gup.process, true);
  assert.deepEqual(gup.args, [
    { name: 'addr', type: 'address', required: true },
    { name: 'pages', type: 'integer', required: false, default: 1 },
    { name: 'flags', type: 'list of string', required: false, default: ['FOLL_PIN', 'FOLL_WRITE'], values: ['FOLL_WRITE', 'FOLL_GET', 'FOLL_PIN'] },
  ]);
  assert.equal(gup.schema.type, 'object');
  assert.deepEqual(pj.find((x) => x.name === 'munmap')!.args.find((a) => a.name === 'pages'), { name: 'pages', type: 'integer', required: false, default: 1 });
  assert.deepEqual(pj.find((x) => x.name === 'dev_dax_touch')!.args.find((a) => a.name === 'write'), { name: 'write', type: 'boolean', required: false, default: true });
  for (const e of pj) for (const a of e.args) assert.ok(a.type && a.type !== 'anything', `${e.name}.${a.name}: ${a.type}`);
  assert.match(run('list', '--patches').out, /gup-pmd-recheck\s+v6\.0\s+70cbc3cc78a9/);
  const arches = JSON.parse(run('list', '--arches', '--json').out) as Array<{ name: string; kernels: string; cpu: string }>;
  assert.deepEqual(arches.map((a) => a.name), Object.keys(ARCHES));
  assert.deepEqual(arches.find((a) => a.name === 'x86-64-invlpgb')!.kernels, 'v6.15..');
  assert.match(run('list', '--arches').out, /^x86-64-invlpgb\s+kernels v6\.15\.\.\s+AMD INVLPGB/m);
});

test('list: the columns fit the longest id; --paths --patches lists both, under headings (one JSON object)', () => {
  const lines = run('list').out.trimEnd().split('\n');
  const longest = Math.max(...CATALOG.map((s) => s.id.length));
  for (const l of lines) assert.equal(l.indexOf(' expect '), longest, `aligned: ${l}`);
  const both = run('list', '--paths', '--patches');
  assert.equal(both.status, 0);
  assert.match(both.out, /^paths and layouts:\npath|^paths and layouts:\nlayout/m);
  assert.match(both.out, /\n\npatches:\n.*\ngup-pmd-recheck\s+v6\.0\s+70cbc3cc78a9/s);
  assert.match(both.out, /^path +gup_fast +\{addr, pages = 1, flags = \[FOLL_PIN, FOLL_WRITE\]\}  \(process\)$/m);
  const j = JSON.parse(run('list', '--paths', '--patches', '--arches', '--json').out);
  assert.deepEqual(Object.keys(j), ['paths', 'patches', 'arches']);
  assert.deepEqual(j.paths, JSON.parse(run('list', '--paths', '--json').out));
  assert.deepEqual(j.patches, JSON.parse(run('list', '--patches', '--json').out));
});

// --- check: catalog ids and files, exit codes ----------------------------------------------
test('check: a profile paired with a kernel outside its range warns on stderr and in the JSON, and still checks', () => {
  const r = run('check', 'rcu-free/x86-64-invlpgb', '--kernel', 'v6.1');
  assert.equal(r.status, 0);
  assert.match(r.err, /^mmrace: warning: kernel: v6\.1 is outside arch profile 'x86-64-invlpgb' range v6\.15\.\./);
  const j = JSON.parse(run('check', 'rcu-free/x86-64-invlpgb', '--kernel', 'v6.1', '--json').out);
  assert.match(j.warnings[0], /outside arch profile 'x86-64-invlpgb'/);
  assert.equal(run('check', 'rcu-free/x86-64-invlpgb').err, '');
});

test('check <id>: verified exits 0, violated 1, a budget unknown 2', () => {
  const v = run('check', 'collapse/x86-64-ipi-no-recheck');
  assert.equal(v.status, 0);
  assert.match(v.out, /collapse\/x86-64-ipi-no-recheck: verified/);
  assert.match(v.out, /exhaustive/);
  const x = run('check', 'collapse/arm64-no-recheck', '--no-minimize');
  assert.equal(x.status, 1);
  assert.match(x.out, /violated \(stale-reference\)/);
  assert.match(x.out, /not minimized/);
  const u = run('check', 'collapse/arm64-pmd-recheck', '--max-executions', '5');
  assert.equal(u.status, 2);
  assert.match(u.out, /unknown/);
  assert.match(u.out, /budget reached: max executions 5/);
  const t = run('check', 'collapse/arm64-pmd-recheck', '--time-limit', '0.001');
  assert.equal(t.status, 2);
  assert.match(t.out, /budget reached: time limit/);
});

test('check <file.yaml>: the collapse example, and --kernel/--arch/--patch change its verdict', () => {
  const r = run('check', EX('collapse.yaml'), '--no-minimize');
  assert.equal(r.status, 1, r.err);
  assert.match(r.out, /collapse\/example: violated \(stale-reference\)\s+expected: violated/);
  assert.match(r.out, /arm64, kernel v5\.19; strategy dfs/);
  const x86 = run('check', EX('collapse.yaml'), '--arch', 'x86-64');
  assert.equal(x86.status, 0);
  assert.match(x86.out, /x86-64, kernel v5\.19/);
  const v61 = run('check', EX('collapse.yaml'), '--kernel', 'v6.1', '--patch', '-gup-pmd-recheck'); // a value starting with '-'
  assert.equal(v61.status, 0, 'the v6.1 sync IPI alone closes it');
  assert.match(v61.out, /kernel v6\.1 -gup-pmd-recheck/);
  const ppc = run('check', 'collapse/powerpc-ipi-no-recheck', '--patch', '+ppc-radix-no-collapse-ipi', '--no-minimize');
  assert.equal(ppc.status, 1, 'a catalog row with a patch added');
});

test('every example checks to its stated expectation', () => {
  for (const f of ['collapse.yaml', 'reclaim.yaml', 'split.yaml', 'seqcount.yaml', 'pud-walk.yaml', 'rcu-free.yaml', 'mmap-overlap.yaml']) {
    const r = run('check', EX(f), '--no-minimize', '--json');
    const j = JSON.parse(r.out);
    assert.equal(j.verdict, j.expect, f);
    assert.equal(r.status, j.verdict === 'violated' ? 1 : 0);
  }
});

test('check --json: the result with a replayable trace; --all --json: one row per catalog entry', () => {
  const r = run('check', EX('collapse.yaml'), '--json', '--no-minimize');
  const j = JSON.parse(r.out);
  assert.equal(j.verdict, 'violated');
  assert.equal(j.trace.format, 'mmrace-trace');
  assert.equal(j.trace.origin.file, EX('collapse.yaml'));
  const all = run('check', '--all', '--json', '--max-executions', '3', '--no-minimize');
  assert.equal(JSON.parse(all.out).length, CATALOG.length);
  assert.equal(all.status, 1, 'rows cut by the budget differ from their expectation');
});

// --- strategies ----------------------------------------------------------------------------
test('--strategy random / pct: seeded, deterministic, never verified', () => {
  const strip = (s: string) => s.replace(/in \d+\.\d+ s/, '');
  const a = run('check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--seed', '7', '--max-executions', '50');
  const b = run('check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--seed', '7', '--max-executions', '50');
  assert.equal(a.status, 2, 'a sample says unknown, not verified');
  assert.match(a.out, /unknown/);
  assert.match(a.out, /strategy random, seed 7/);
  assert.match(a.out, /50 executions/);
  assert.equal(strip(a.out), strip(b.out));
  const p1 = JSON.parse(run('check', 'collapse/arm64-no-recheck', '--strategy', 'pct', '--seed', '3', '--json', '--no-minimize').out);
  const p2 = JSON.parse(run('check', 'collapse/arm64-no-recheck', '--strategy', 'pct', '--seed', '3', '--json', '--no-minimize').out);
  assert.equal(p1.verdict, 'violated');
  assert.equal(p1.strategy, 'pct');
  assert.deepEqual(p1.trace.schedule, p2.trace.schedule, 'same seed, same counterexample');
  assert.equal(p1.executions, p2.executions);
  const d = run('check', 'collapse/arm64-no-recheck', '--strategy', 'pct', '--depth', '2', '--seed', '1', '--no-minimize');
  assert.ok(d.status === 1 || d.status === 2);
});

test('check with --kernel/--patch says the file\'s expect is for its own configuration', () => {
  const r = run('check', EX('collapse.yaml'), '--patch', '+gup-pmd-recheck', '--max-executions', '5');
  assert.match(r.out, /^collapse\/example: unknown {3}expected: violated for its own configuration \(not with --patch \+gup-pmd-recheck\)$/m);
  assert.match(run('check', EX('collapse.yaml'), '--max-executions', '5').out, /^collapse\/example: unknown {3}expected: violated$/m);
});

test('check --shard i/N with more shards than work items warns, and still writes its shard', () => {
  const r = run('check', 'collapse/x86-64-ipi-no-recheck', '--shard', '3/500');
  assert.equal(r.status, 0, r.err);
  assert.match(r.err, /^mmrace: warning: --shard 3\/500: the search splits into (\d+) work items, fewer than 500 shards: shards \d+ to 500 have nothing to run\n$/);
  assert.equal(JSON.parse(r.out).format, 'mmrace-shard');
  assert.equal(run('check', 'collapse/x86-64-ipi-no-recheck', '--shard', '1/2').err, '', 'no warning when every shard has items');
});

// --- traces: save, replay, explain ---------------------------------------------------------
test('explain --format commit: collapse/arm64-no-recheck in 30 lines of 72 columns, the race inside GUP\'s IRQ-off section', () => {
  const r = run('explain', 'collapse/arm64-no-recheck', '--format', 'commit');
  assert.equal(r.status, 1, r.err);
  const lines = r.out.trimEnd().split('\n');
  assert.ok(lines.length <= 30, `${lines.length} lines`);
  for (const l of lines) assert.ok(l.length <= 72, `72 columns: ${l}`);
  assert.equal(lines[0], 'stale-reference: GUP returned a page no longer mapped at its address');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const [off, pmd, clear, on] = [at(/^gup_fast: irq_disable$/), at(/^ +load pmd\[1\] = 0x4027/), at(/ {30,}xchg pmd\[1\] 0x4027 -> 0x0$/), at(/^gup_fast: irq_enable/)];
  assert.ok(off >= 0 && off < pmd && pmd < clear && clear < on, `IRQs off (line ${off}), pmd read (${pmd}), khugepaged's clear (${clear}), IRQs on (${on})`);
});

test('replay and explain refuse a trace of another version (exit 3)', () => {
  const t = JSON.parse(run('explain', 'split/pte-mapped-arm64-no-folio-recheck', '--format', 'json', '--no-minimize').out);
  bad(run('replay', file('v2.json', JSON.stringify({ ...t, version: 2 }))), /v2\.json: trace version 2 is not one this mmrace reads \(it reads version 1\)/);
  bad(run('explain', file('v2.json', JSON.stringify({ ...t, version: 2 }))), /trace version 2 is not one/);
  bad(run('replay', file('v0.json', JSON.stringify({ ...t, version: undefined }))), /v0\.json: trace version null is not one this mmrace reads/);
});

test('--save-trace writes a trace that replay reproduces and explain renders', () => {
  const trace = join(TMP, 'collapse-trace.json');
  const r = run('check', EX('collapse.yaml'), '--save-trace', trace);
  assert.equal(r.status, 1);
  assert.match(r.out, /trace written to/);
  const t = JSON.parse(readFileSync(trace, 'utf8'));
  assert.equal(t.preemptions, 2, 'minimized');
  const rp = run('replay', trace);
  assert.equal(rp.status, 1);
  assert.match(rp.out, /stale-reference reproduced/);
  assert.match(rp.out, /gup_fast_pte_range/);
  const rj = JSON.parse(run('replay', trace, '--json').out);
  assert.deepEqual([rj.replayed, rj.reproduced, rj.violation.property], [true, true, 'stale-reference']);
  const commit = run('explain', trace, '--format', 'commit');
  assert.equal(commit.status, 1);
  for (const line of commit.out.trimEnd().split('\n')) assert.ok(line.length <= 72, `72 columns: ${line}`);
  assert.match(commit.out, /^CPU 0 +CPU 1$/m);
  const md = run('explain', trace, '--format', 'markdown');
  assert.match(md.out, /^> Can GUP-fast/m);
  assert.match(md.out, /^\*\*collapse\/example \(arm64, kernel v5\.19\): 2 preemptions, \d+ steps\*\*$/m, 'the preemptions in the table\'s header');
  assert.match(md.out, /^\| CPU 0 \| CPU 1 \|$/m);
  assert.match(md.out, /\*\*stale-reference\*\*/);
});

test('explain <id> --format json writes a trace replay accepts; check --json output replays too', () => {
  const e = run('explain', 'split/pte-mapped-arm64-no-folio-recheck', '--format', 'json', '--no-minimize');
  assert.equal(e.status, 1);
  const p = file('split.json', e.out);
  const rp = run('replay', p);
  assert.equal(rp.status, 1, rp.err);
  assert.match(rp.out, /refcount reproduced/);
  const c = run('check', 'collapse/arm64-no-recheck', '--json', '--no-minimize', '--arch', 'powerpc', '--patch', '+ppc-radix-no-collapse-ipi');
  const q = file('check.json', c.out);
  const rq = run('replay', q);
  assert.equal(rq.status, 1, rq.err);
  assert.match(rq.out, /powerpc, kernel v5\.19 \+ppc-radix-no-collapse-ipi/);
});

test('explain of a verified row has no counterexample; replay of an edited trace says it does not reproduce', () => {
  const e = run('explain', 'collapse/x86-64-ipi-no-recheck');
  assert.equal(e.status, 0);
  assert.match(e.out, /verified: no counterexample to explain/);
  const t = JSON.parse(run('explain', 'collapse/arm64-no-recheck', '--format', 'json', '--no-minimize').out);
  t.violation.message = 'something else';
  const r = run('replay', file('edited.json', JSON.stringify(t)));
  assert.equal(r.status, 2);
  assert.match(r.out, /the trace recorded stale-reference: something else/);
  t.schedule = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7];
  const s = run('replay', file('edited2.json', JSON.stringify(t)));
  assert.equal(s.status, 2);
  assert.match(s.out, /does not replay on this model/);
});

test('ui takes a scenario file (through the same loader), and reports its errors the same way', () => {
  const r = run('ui', EX('split.yaml'), '--json');
  assert.equal(r.status, 0, r.err);
  const b = JSON.parse(r.out);
  assert.deepEqual([b.id, b.verdict], ['split/example', 'violated']);
  bad(run('ui', file('ui-bad.yaml', GOOD('  - gup_fast: {addr: 0x4001}\n')), '--json'), /ui-bad\.yaml:5:22: cpus\[0\]\.gup_fast\.addr: 0x4001 is not page-aligned/);
});

test('ui: a truncated trace file is named; a busy port is refused before the scenario is read', async () => {
  const t = run('explain', 'split/pte-mapped-arm64-no-folio-recheck', '--format', 'json', '--no-minimize').out;
  const cut = file('cut.json', t.slice(0, t.length / 2));
  bad(run('ui', cut, '--json'), /^mmrace: .*cut\.json: not JSON \(truncated\?\): /);
  const { createServer } = await import('node:net');
  const busy = createServer();
  await new Promise<void>((ok) => busy.listen(0, '127.0.0.1', () => ok()));
  const port = String((busy.address() as { port: number }).port);
  try {
    // the scenario file is bad too: the port is what is said, so it was looked at first
    const r = await new Promise<{ status: number | null; err: string }>((ok) => {
      const c = spawn(process.execPath, [MAIN, 'ui', file('ui-bad2.yaml', 'arch: [\n'), '--port', port], { cwd: TMP });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (status) => ok({ status, err }));
    });
    assert.equal(r.status, 3);
    assert.match(r.err, new RegExp(`^mmrace: ui: port ${port} on 127\\.0\\.0\\.1 is in use: pick another with --port`));
  } finally {
    busy.close();
  }
});

test('explain --json is the trace, like --format json', () => {
  const r = run('explain', 'split/pte-mapped-arm64-no-folio-recheck', '--json', '--no-minimize');
  assert.equal(r.status, 1);
  const t = JSON.parse(r.out);
  assert.equal(t.format, 'mmrace-trace');
  assert.deepEqual(t.origin, { catalog: 'split/pte-mapped-arm64-no-folio-recheck' });
});

// --- progress bar and Ctrl-C ---------------------------------------------------------------
test('--progress shows executions, rate and elapsed time on long runs; --json alone shows none', () => {
  // "long" is 1 s; the test lowers it so that the bar shows however fast the machine is
  const r = runEnv({ MMRACE_PROGRESS_DELAY_MS: '0' }, 'check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--max-executions', '3000', '--progress');
  assert.match(r.err, /collapse\/arm64-pmd-recheck .*\d+\/3000 executions \| \d+\/s \| \d+\.\d s/);
  const j = run('check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--max-executions', '3000', '--json');
  assert.equal(j.err, '');
});

/** Run with --progress and send SIGINT once stderr shows `when` (the search is under way). */
test('without a TTY there is no bar unless --progress; --no-progress wins over nothing else', () => {
  const plain = run('check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--max-executions', '3000');
  assert.equal(plain.err, '', 'stderr is not a TTY here: no bar');
  const off = run('check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--max-executions', '3000', '--no-progress');
  assert.equal(off.err, '');
});

test('explain: the table (120 columns) for a file, --full shows every step', () => {
  const t = run('explain', EX('split.yaml'), '--no-minimize');
  assert.equal(t.status, 1);
  assert.match(t.out, /^Can GUP-fast on a THP being split/);
  assert.match(t.out, /split\/example \(arm64, kernel v6\.18 -gup-folio-recheck\)/);
  assert.match(t.out, /REFCOUNT: /);
  const width = Math.max(...t.out.split('\n').map((l) => l.length));
  assert.ok(width > 72 && width <= 120, `table width ${width}`);
  const full = run('explain', EX('split.yaml'), '--no-minimize', '--full');
  assert.ok(full.out.split('\n').length > t.out.split('\n').length, '--full shows more rows');
  assert.match(t.out, /… \d+ internal steps? of .* folded/);
  assert.doesNotMatch(full.out, /folded/, 'nothing folded');
});

function interrupt(args: string[], when: RegExp): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [MAIN, ...args, '--progress'], { cwd: TMP });
    let out = '';
    let err = '';
    let sent = false;
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => {
      err += d;
      if (!sent && when.test(err)) {
        sent = true;
        c.kill('SIGINT');
      }
    });
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

test('Ctrl-C stops the search cleanly and prints what it covered', async () => {
  const r = await interrupt(['check', 'collapse/arm64-pmd-recheck', '--strategy', 'random', '--max-executions', '100000000'], /executions \|/);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /interrupted; stopping/);
  assert.match(r.out, /: unknown/);
  assert.match(r.out, /\d+ executions in/);
  assert.match(r.out, /interrupted \(Ctrl-C\)/);
  assert.doesNotMatch(r.err, /\n\s+at /);
});

test('check --all: the bar names each row; minimization apart from the search; an interrupted row is interrupted, not a difference', async () => {
  const p = runEnv({ MMRACE_PROGRESS_DELAY_MS: '0' }, 'check', 'collapse/arm64-no-recheck', '--progress');
  const executions = Number(/(\d+) executions \(/.exec(p.out)![1]);
  const shown = [...p.err.matchAll(/(\d+) executions \|/g)].map((m) => Number(m[1]));
  assert.ok(shown.length > 0 && Math.max(...shown) <= executions, `the search's count (${shown.join(', ')}) is the search's (${executions})`);
  assert.match(p.err, /minimizing: \d+ runs, \d+\/s/);
  // row 2 (verified) never ends under random sampling: Ctrl-C lands in its search
  const r = await interrupt(['check', '--all', '--strategy', 'random', '--max-executions', '100000000'], /\[2\/\d+\] collapse\/arm64-pmd-recheck .*\d+\/\d+ executions/);
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /^\[1\/\d+\] collapse\/arm64-no-recheck /m);
  assert.match(r.out, /^collapse\/arm64-pmd-recheck +interrupted +verified /m);
  assert.match(r.out, /^2 rows, 1 as kernel history says, 0 differ, 1 interrupted$/m);
  assert.match(r.out, /^interrupted: 1 of \d+ rows checked$/m);
});

test('Ctrl-C during minimization prints the best counterexample so far', async () => {
  const r = await interrupt(['check', 'collapse/arm64-no-recheck'], /minimizing: \d+ runs/);
  assert.equal(r.code, 1, r.err);
  assert.match(r.out, /violated \(stale-reference\)/);
  assert.match(r.out, /the best found before the interrupt/);
  assert.match(r.out, /STALE-REFERENCE/);
});

// --- bad input ---------------------------------------------------------------------------
test('bad input: malformed YAML names the file and line', () => {
  const p = file('malformed.yaml', 'arch: arm64\nkernel: v5.19\nmap: [anon-small at 0x4000\ncpus: x\n');
  bad(run('check', p), /^mmrace: .*malformed\.yaml:4:1: malformed YAML: /);
  const q = file('list.yaml', '- a\n- b\n');
  bad(run('check', q), /list\.yaml:1:1: \(top level\): expected a mapping with arch, kernel, map and cpus/);
});

test('bad input: unknown path, layout, argument and field', () => {
  bad(run('check', file('path.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n  - khugepaged_colapse: {addr: 0x4000}\n'))),
    /path\.yaml:6:5: cpus\[1\]\.khugepaged_colapse: unknown path 'khugepaged_colapse' \(known: gup_fast, khugepaged_collapse/);
  bad(run('check', file('layout.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', 'anon-big at 0x4000'))), /layout\.yaml:3:6: map\[0\]\.anon-big: unknown layout 'anon-big' \(known: anon-small, anon-thp/);
  bad(run('check', file('arg.yaml', GOOD('  - khugepaged_collapse: {adr: 0x4000}\n'))), /arg\.yaml:5:27: cpus\[0\]\.khugepaged_collapse\.adr: unknown argument 'adr' \(expected addr\)/);
  bad(run('check', file('field.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n') + 'expcet: violated\n')), /field\.yaml:6:1: expcet: unknown field 'expcet' \(expected id, question/);
  bad(run('check', file('flag.yaml', GOOD('  - gup_fast: {addr: 0x4000, flags: [FOLL_PINN]}\n'))), /flag\.yaml:5:38: cpus\[0\]\.gup_fast\.flags\[0\]: expected one of FOLL_WRITE, FOLL_GET, FOLL_PIN/);
  bad(run('check', file('missing.yaml', 'arch: arm64\nmap: anon-small at 0x4000\ncpus: [gup_fast]\n')), /missing\.yaml:1:1: kernel: missing \(expected string\)/);
  bad(run('check', file('nocpu.yaml', 'arch: arm64\nkernel: v5.19\nmap: anon-small at 0x4000\ncpus: []\n')), /nocpu\.yaml:4:7: cpus: expected at least one CPU program/);
});

test('bad input: unknown arch, kernel or patch, in the file and on the command line', () => {
  bad(run('check', file('arch.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', undefined, 'arch: arm65\nkernel: v5.19\n'))),
    /arch\.yaml:1:7: arch: unknown arch 'arm65' \(known: x86-64, x86-64-rcu, arm64, /);
  bad(run('check', file('kernel.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', undefined, 'arch: arm64\nkernel: 5.19\n'))), /kernel\.yaml:2:9: kernel: expected a kernel release like 'v6\.1'/);
  bad(run('check', file('patch.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', undefined, 'arch: arm64\nkernel: v5.19\npatches: [+gup-pmd-rechek]\n'))),
    /patch\.yaml:3:11: patches\[0\]: unknown patch 'gup-pmd-rechek' \(known: /);
  bad(run('check', EX('collapse.yaml'), '--arch', 'sparc'), /^mmrace: --arch: unknown arch 'sparc' \(known: /);
  bad(run('check', 'collapse/arm64-no-recheck', '--kernel', 'six'), /--kernel: expected a kernel release like 'v6\.1'/);
  bad(run('check', 'collapse/arm64-no-recheck', '--patch', 'gup-pmd-recheck'), /--patch: patch change 'gup-pmd-recheck' must start with \+ \(add\) or - \(revert\)/);
  bad(run('check', 'collapse/arm64-no-recheck', '--patch', '+nope'), /--patch: unknown patch 'nope'/);
});

test('bad input: addresses that are unaligned, unmapped, outside the space or overlapping', () => {
  bad(run('check', file('unaligned.yaml', GOOD('  - gup_fast: {addr: 0x4001}\n'))), /unaligned\.yaml:5:22: cpus\[0\]\.gup_fast\.addr: 0x4001 is not page-aligned \(a multiple of 0x1000\)/);
  bad(run('check', file('unmapped.yaml', GOOD('  - gup_fast: {addr: 0x10000}\n'))),
    /unmapped\.yaml:5:22: cpus\[0\]\.gup_fast\.addr: \[0x10000, 0x11000\) is not inside one mapped region \(mapped: anon-small \[0x4000, 0x8000\)\)/);
  bad(run('check', file('toomany.yaml', GOOD('  - gup_fast: {addr: 0x7000, pages: 2}\n'))), /toomany\.yaml:5:22: cpus\[0\]\.gup_fast\.addr: \[0x7000, 0x9000\) is not inside one mapped region/);
  bad(run('check', file('pmdalign.yaml', GOOD('  - khugepaged_collapse: {addr: 0x5000}\n'))), /pmdalign\.yaml:5:33: cpus\[0\]\.khugepaged_collapse\.addr: 0x5000 is not PMD-aligned \(a multiple of 0x4000\)/);
  bad(run('check', file('space.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', 'anon-small at 0x40000'))), /space\.yaml:3:6: map\[0\]\.anon-small\.at: 0x40000 is outside the address space \[0, 0x20000\)/);
  bad(run('check', file('overlap.yaml', GOOD('  - gup_fast: {addr: 0x4000}\n', '[anon-small at 0x4000, anon-thp at 0x4000]'))),
    /overlap\.yaml:3:29: map\[1\]\.anon-thp\.at: \[0x4000, 0x8000\) overlaps anon-small \[0x4000, 0x8000\)/);
  bad(run('check', file('thp.yaml', GOOD('  - deferred_split: {addr: 0x4000}\n'))), /thp\.yaml:5:28: cpus\[0\]\.deferred_split\.addr: 0x4000 is mapped by anon-small, not by a THP/);
  bad(run('check', file('noaddr.yaml', GOOD('  - gup_fast: {pages: 1}\n'))), /noaddr\.yaml:5:15: cpus\[0\]\.gup_fast\.addr: missing \(a required argument\)/);
  bad(run('check', file('frames.yaml', 'arch: arm64\nkernel: v5.19\nframes: 8\nmap: [anon-thp at 0x4000, anon-thp at 0x8000]\ncpus: [{gup_fast: {addr: 0x4000}}]\n')),
    /frames\.yaml:4:27: map\[1\]\.anon-thp: not enough memory for this layout \(8 frames[,)].*raise 'frames'/);
  bad(run('check', file('hex.yaml', GOOD("  - gup_fast: {addr: '4000'}\n"))), /hex\.yaml:5:22: cpus\[0\]\.gup_fast\.addr: .*expected an address like 0x4000/);
});

test('bad input: budgets, strategies, formats, targets and files', () => {
  bad(run('check', 'collapse/arm64-no-recheck', '--max-executions=-5'), /^mmrace: option '--max-executions <n>' argument '-5' is invalid\. expected a positive whole number/);
  bad(run('check', 'collapse/arm64-no-recheck', '--max-executions', '0'), /expected a positive whole number/);
  bad(run('check', 'collapse/arm64-no-recheck', '--time-limit', '-1'), /argument '-1' is invalid\. expected a positive number of seconds/);
  bad(run('check', 'collapse/arm64-no-recheck', '--strategy', 'bfs'), /argument 'bfs' is invalid\. Allowed choices are dfs, random, pct/);
  bad(run('check', 'collapse/arm64-no-recheck', '--seed', '3'), /--seed applies to --strategy random or pct/);
  bad(run('check', 'collapse/arm64-no-recheck', '--strategy', 'random', '--seed', 'x'), /expected a whole number from 0 to 4294967295/);
  bad(run('check', 'collapse/arm64-no-recheck', '--depth', '2'), /--depth applies to --strategy pct/);
  bad(run('check', 'collapse/arm64'), /unknown scenario 'collapse\/arm64': not a catalog id .*did you mean collapse\/arm64-no-recheck/);
  bad(run('check'), /check needs a catalog id, a scenario file, or --all/);
  bad(run('check', 'collapse/arm64-no-recheck', '--all'), /give a target or --all, not both/);
  bad(run('check', join(TMP, 'nope.yaml')), /nope\.yaml: cannot read the scenario file \(ENOENT\)/);
  bad(run('explain', 'collapse/arm64-no-recheck', '--format', 'html'), /--format must be table, commit, markdown or json, not 'html'/);
  bad(run('replay', join(TMP, 'nope.json')), /nope\.json: cannot read the trace file \(ENOENT\)/);
  bad(run('replay', file('notjson.json', '{')), /notjson\.json: not JSON/);
  bad(run('replay', file('other.json', '{"a": 1}')), /other\.json: not an mmrace trace: format/);
  bad(run('frobnicate'), /unknown command 'frobnicate'/);
});
