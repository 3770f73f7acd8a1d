/**
 * The package as a user gets it: `npm pack` gives a tarball that installs into an empty project
 * outside the repo; a user's TypeScript there imports 'mmrace' and 'mmrace/kernel', type-checks
 * under `strict` with the repo's tsc (misuses of the API are type errors: nothing is `any`), runs,
 * and checks a scenario; the examples in examples/api/ compile and run against the installed
 * package, and so does its `mmrace` command.
 *
 * Offline: the npm cache holds no registry metadata for the dependencies, so the test packs the
 * repo's installed copy of each runtime dependency (package.json `dependencies`, transitively)
 * into a tarball of its own and installs them with the package, `npm install --offline`.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-pkg-'));
const PROJECT = join(TMP, 'user');
const PKG = join(PROJECT, 'node_modules/mmrace');
let tscOutput = '';

function run(cmd: string, args: string[], cwd: string): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The runtime dependencies, transitively, as installed in the repo; and @types/node, which a
 * user's Node project has (the examples read process.argv). */
function dependencyDirs(): Map<string, string> {
  const out = new Map<string, string>();
  const visit = (deps: Record<string, string> | undefined) => {
    for (const name of Object.keys(deps ?? {})) {
      if (out.has(name)) continue;
      const dir = join(ROOT, 'node_modules', name);
      out.set(name, dir);
      visit((JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies);
    }
  };
  visit((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
  visit({ '@types/node': '*' });
  return out;
}

/** What a user writes: a path of their own next to built-in ones, a property, a scenario; and
 * misuses that strict TypeScript must reject (an unused @ts-expect-error fails the build). */
const USER_TS = `import { Address, type CheckResult, check, defineOracle, definePath, defineScenario, kfunc, replay, z, type Ctx, type Program } from 'mmrace';
import { PAGE_SIZE, READ_ONCE, pgd_offset, spin_lock, spin_unlock } from 'mmrace/kernel';

const peek = kfunc('peek_pgd', function* (k: Ctx, addr: number): Program<number> {
  return yield* READ_ONCE(k, pgd_offset(k, addr));
});
definePath('peek_pgd', {
  description: 'reads the pgd entry of addr',
  args: z.object({ addr: Address }).strict(),
  run: (c, a) => peek(c, a.addr),
});
defineOracle('first-page-mapped', (s) => (s.translate(0x4000) < 0 && s.translate(0x5000) < 0 ? 'nothing mapped' : null));

const s = defineScenario({
  id: 'user/collapse',
  arch: 'arm64',
  kernel: 'v5.19',
  map: [{ 'anon-small': { at: 0x4000 } }],
  cpus: [{ gup_fast: { addr: 0x4000, flags: ['FOLL_PIN'] } }, [{ peek_pgd: { addr: 0x4000 } }, { khugepaged_collapse: { addr: 0x4000 } }]],
  oracles: ['first-page-mapped'],
});
const r: CheckResult = check(s);
const cx = r.trace;
const again = cx ? replay(s.build(s.config), cx.schedule).violation : null;
console.log(JSON.stringify({
  verdict: r.verdict, property: r.property, executions: r.executions, pageSize: PAGE_SIZE, locks: typeof spin_lock + typeof spin_unlock,
  trace: cx && { schedule: cx.schedule.length, steps: cx.steps.length, cpus: [...new Set(cx.steps.map((x) => x.cpu))], paths: [...new Set(cx.steps.map((x) => x.path ?? ''))],
    violation: cx.violation, replayed: again },
}));

// never called: each line must be a type error
export function misuses(): void {
definePath('typed_args', {
  description: 'the arguments are typed from the schema',
  args: z.object({ addr: Address, pages: z.number().default(1) }),
  run: function* (_c, a) {
    const n: number = a.addr + a.pages;
    // @ts-expect-error an address is a number, not a string
    const t: string = a.addr;
    return n + t.length;
  },
});
// @ts-expect-error a verdict is violated, verified, vacuous or unknown
if (r.verdict === 'maybe') console.log('never');
// @ts-expect-error a scenario needs a kernel, a map and cpus
defineScenario({ arch: 'arm64' });
// @ts-expect-error an oracle's state translates addresses, which are numbers
defineOracle('typed-state', (st) => (st.translate('0x4000') > 0 ? null : 'x'));
// @ts-expect-error spin_lock takes a lock word's address
spin_lock('mm->page_table_lock');
}
`;

before(() => {
  mkdirSync(join(TMP, 'deps'));
  run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', TMP], ROOT);
  const tarball = readdirSync(TMP).find((f) => f.endsWith('.tgz'))!;
  const deps = [...dependencyDirs()].map(([name, dir]) => {
    const out = join(TMP, 'deps', `${name.replace('/', '+')}.tgz`);
    execFileSync('tar', ['czf', out, '-C', dir, '--transform', 's,^\\.,package,', '.']);
    return out;
  });
  mkdirSync(PROJECT);
  writeFileSync(join(PROJECT, 'package.json'), JSON.stringify({ name: 'user', version: '1.0.0', private: true, type: 'module' }));
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', join(TMP, tarball), ...deps], PROJECT);
  cpSync(join(ROOT, 'examples/api'), PROJECT, { recursive: true });
  cpSync(join(ROOT, 'examples/sequence.yaml'), join(PROJECT, 'sequence.yaml'));
  writeFileSync(join(PROJECT, 'user.ts'), USER_TS);
  // one tsc run over the user's file and the examples: strict, the library's declarations checked too
  const r = spawnSync('node', [TSC, '-p', '.'], { cwd: PROJECT, encoding: 'utf8' });
  tscOutput = `exit ${r.status}\n${r.stdout}${r.stderr}`;
});

after(() => rmSync(TMP, { recursive: true, force: true }));

test('package: the tarball holds the built library, its declarations, the viewer and the docs, not the tests', () => {
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)).map((x) => `${f}/${x}`) : [f]));
  const installed = files(PKG);
  for (const f of ['package.json', 'dist/src/api.js', 'dist/src/api.d.ts', 'dist/src/kernel/index.js', 'dist/src/kernel/index.d.ts', 'dist/src/cli/main.js', 'docs/API.md', 'examples/api/driver-get-page.ts'])
    assert.ok(installed.includes(f), f);
  assert.deepEqual(installed.filter((f) => /^(dist\/(test|bench|tools|examples)\/|src\/|test\/)|^dist\/src\/.*\.map$/.test(f)), []);
});

test("package: the declarations leak no 'any' (every .d.ts, comments aside)", () => {
  const dts = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? dts(join(dir, f)) : f.endsWith('.d.ts') ? [join(dir, f)] : []));
  const found: string[] = [];
  for (const f of dts(join(PKG, 'dist/src'))) {
    const sf = ts.createSourceFile(f, readFileSync(f, 'utf8'), ts.ScriptTarget.ES2022, true);
    const visit = (n: ts.Node): void => {
      if (n.kind === ts.SyntaxKind.AnyKeyword) found.push(`${f.slice(PKG.length + 1)}:${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.parent.getText().slice(0, 80)}`);
      ts.forEachChild(n, visit);
    };
    visit(sf);
  }
  assert.deepEqual(found, []);
});

test("package: a user's strict TypeScript outside the repo type-checks against it, runs, and checks a scenario", () => {
  assert.equal(tscOutput, 'exit 0\n');
  const out = JSON.parse(run('node', ['out/user.js'], PROJECT).trim()) as {
    verdict: string; property: string; executions: number; pageSize: number; locks: string;
    trace: { schedule: number; steps: number; cpus: number[]; paths: string[]; violation: { property: string; message: string; step: number }; replayed: { property: string } };
  };
  assert.equal(out.verdict, 'violated');
  assert.equal(out.property, 'stale-reference');
  assert.ok(out.executions >= 1);
  assert.equal(out.pageSize, 4096);
  assert.equal(out.locks, 'functionfunction');
  const t = out.trace;
  assert.equal(t.schedule, t.steps);
  assert.deepEqual(t.cpus.sort(), [0, 1]);
  assert.deepEqual(t.paths.sort(), ['', 'khugepaged_collapse (2/2)', 'peek_pgd (1/2)']);
  assert.equal(t.violation.property, 'stale-reference');
  assert.match(t.violation.message, /^gup_fast \(cpu0\) returned page \d+ for 0x4000, but at the end 0x4000 maps page \d+/);
  assert.equal(t.violation.step, t.steps); // a final-state oracle: after the last step
  assert.equal(t.replayed.property, 'stale-reference');
});

test("package: deep imports are closed; only 'mmrace' and 'mmrace/kernel' are exported", () => {
  const r = spawnSync('node', ['--input-type=module', '-e', "await import('mmrace/dist/src/kernel/kernel.js')"], { cwd: PROJECT, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /ERR_PACKAGE_PATH_NOT_EXPORTED/);
});

test('package: the examples run against the installed package: a new race written from scratch, and the quickstart', () => {
  assert.equal(tscOutput, 'exit 0\n');
  const driver = run('node', ['out/driver-get-page.js'], PROJECT);
  assert.match(driver, /^mydrv\/get-page-vs-munmap: violated \(refcount\) in \d+ executions$/m);
  assert.match(driver, /^CPU 0 +\| CPU 1$/m);
  assert.match(driver, /^mydrv, from a workqueue +\| the process unmapping A$/m);
  assert.match(driver, /^REFCOUNT: cpu0: reference taken on folio \d+ whose count was 0/m);
  assert.match(driver, /^with \+mydrv-ref-under-ptl: verified in \d+ executions$/m);
  const quick = run('node', ['out/quickstart.js', 'sequence.yaml'], PROJECT);
  assert.match(quick, /^v5\.19: quickstart\/collapse violated \(stale-reference\), counterexample of \d+ steps$/m);
  assert.match(quick, /^v6\.0: quickstart\/collapse verified$/m);
  assert.match(quick, /^sequence\.yaml: file\/sequence violated \(pt-uaf\), counterexample of \d+ steps$/m);
});

test("package: the installed 'mmrace' command checks a scenario file and lists the paths", () => {
  const bin = join(PROJECT, 'node_modules/.bin/mmrace');
  const r = spawnSync(bin, ['check', 'sequence.yaml', '--arch', 'arm64'], { cwd: PROJECT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^file\/sequence: verified/);
  const paths = JSON.parse(run(bin, ['list', '--paths', '--json'], PROJECT)) as Array<{ name: string }>;
  assert.ok(paths.some((p) => p.name === 'gup_fast'));
});
