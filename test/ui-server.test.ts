/** Per-step snapshots, the viewer's trace bundles, and its server (no browser). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { check } from '../src/explore/check.js';
import type { Snapshot } from '../src/kernel/snapshot.js';
import { findScenario } from '../src/scenarios/catalog.js';
import { entryFor, mapAnonSmall } from '../src/kernel/boot.js';
import { PTE } from '../src/machine/mmu.js';
import { type Ctx, observe } from '../src/kernel/kernel.js';
import type { Program } from '../src/machine/effects.js';
import type { Scenario } from '../src/scenarios/scenario.js';
import { bootFor, makeWorld } from '../src/scenarios/world.js';
import { bundleFor, bundleFromFile, bundleFromScenario } from '../src/ui/bundle.js';
import { serveUi } from '../src/ui/server.js';

const ID = 'collapse/arm64-no-recheck';

test('the initial snapshot of collapse: a pgd-pud-pmd-pte tree mapping four small pages', () => {
  const s = findScenario(ID)!;
  const snap = s.build(s.config).snapshot!() as Snapshot;
  const levels = snap.tables.filter((t) => t.reachable).map((t) => t.level);
  assert.deepEqual(levels, [5, 3, 2, 1]);
  const pte = snap.tables.find((t) => t.level === 1)!;
  assert.equal(pte.entries.length, 4);
  assert.ok(pte.entries.every((e) => e.kind === 'leaf'));
  const data = snap.pages.filter((p) => p.use === 'data');
  assert.deepEqual(data.map((p) => [p.ref, p.map]), [[1, 1], [1, 1], [1, 1], [1, 1]]);
  assert.deepEqual(pte.entries.map((e) => e.to), data.map((p) => p.pfn));
  assert.ok(snap.cpus[0].mm && !snap.cpus[1].mm);
  assert.ok(snap.cpus.every((c) => c.irqOn && c.inIrq === -1 && !c.rcuReader));
  assert.ok(snap.words.some((w) => w.name === 'mm->mmap_lock'));
  assert.ok(JSON.stringify(snap).length < 2500, 'compact');
});

test('a bundle for a violated id: the counterexample, a state before the first step and after each', () => {
  const b = bundleFor(ID);
  assert.equal(b.verdict, 'violated');
  assert.equal(b.traces.length, 1);
  const t = b.traces[0];
  assert.equal(t.states.length, t.steps.length + 1);
  assert.ok(t.states.every((s) => s !== null));
  assert.deepEqual(t.columns.map((c) => c.label), ['CPU 0', 'CPU 1']);
  assert.equal(t.violation!.property, 'stale-reference');
  assert.ok(t.steps.some((s) => s.racing) && t.steps.some((s) => !s.racing));
  // the pmd is cleared by pmdp_collapse_flush in the step that did it
  const clear = t.steps.findIndex((s) => s.op === 'xchg' && /^pmd\[/.test(s.target) && s.wrote === 0);
  const pmdBefore = (t.states[clear] as Snapshot).tables.find((x) => x.level === 2)!;
  const pmdAfter = (t.states[clear + 1] as Snapshot).tables.find((x) => x.level === 2)!;
  assert.equal(pmdBefore.entries.length, 1);
  assert.equal(pmdAfter.entries.length, 0);
  assert.equal(b.machine!.levels.find((l) => l.level === 1)!.entries, 4);
});

test('a bundle for a verified id shows its first execution', () => {
  const b = bundleFor('collapse/arm64-pmd-recheck');
  assert.equal(b.verdict, 'verified');
  assert.ok(b.traces.length >= 1);
  const t = b.traces[0];
  assert.ok(t.steps.length > 0 && t.states.length === t.steps.length + 1);
  if (t.label === 'first execution') assert.equal(t.violation, null);
});

test('trace files: explain --format json and check --json open in the viewer', () => {
  const s = findScenario(ID)!;
  const r = check(s);
  const dir = mkdtempSync(join(tmpdir(), 'mmrace-ui-'));
  try {
    writeFileSync(join(dir, 'trace.json'), JSON.stringify(r.trace));
    writeFileSync(join(dir, 'result.json'), JSON.stringify(r));
    for (const f of ['trace.json', 'result.json']) {
      const b = bundleFromFile(join(dir, f));
      assert.equal(b.id, ID);
      assert.equal(b.traces[0].steps.length, r.trace!.steps.length);
      assert.ok(b.traces[0].states[0], 'replayed: the initial state is known');
      assert.deepEqual(b.traces[0].violation, r.trace!.violation);
    }
    writeFileSync(join(dir, 'other.json'), '{"x": 1}');
    assert.throws(() => bundleFromFile(join(dir, 'other.json')), /not a trace/);
    assert.throws(() => bundleFor('no/such-id'), /unknown scenario/);
    assert.throws(() => bundleFor(join(dir, 's.yaml')), /YAML scenario loader/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function get(port: number, path: string, opts: { host?: string; method?: string } = {}): Promise<{ status: number; type: string; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers: { host: opts.host ?? `127.0.0.1:${port}` } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, type: String(res.headers['content-type']), body }));
    });
    req.on('error', fail);
    req.end();
  });
}

test('the server: 127.0.0.1 only, the page, the trace as JSON, nothing else', async () => {
  const b = bundleFor(ID);
  const srv = await serveUi(b, { port: 0 });
  try {
    assert.match(srv.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const addr = srv.server.address() as { address: string };
    assert.equal(addr.address, '127.0.0.1');
    const index = await get(srv.port, '/');
    assert.equal(index.status, 200);
    assert.match(index.type, /text\/html/);
    const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)![1];
    assert.equal((await get(srv.port, '/' + script)).status, 200);
    const api = await get(srv.port, '/api/trace');
    assert.match(api.type, /application\/json/);
    assert.equal(JSON.parse(api.body).id, ID);
    assert.equal((await get(srv.port, '/', { host: 'attacker.example' })).status, 421);
    assert.equal((await get(srv.port, `/`, { host: `localhost:${srv.port}` })).status, 200);
    assert.equal((await get(srv.port, '/api/trace', { method: 'POST' })).status, 405);
    assert.equal((await get(srv.port, '/../../package.json')).status, 404);
    assert.equal((await get(srv.port, '/%2e%2e/%2e%2e/package.json')).status, 404);
    assert.equal((await get(srv.port, '/nope.js')).status, 404);
  } finally {
    await srv.close();
  }
});

test('a violation detected while a step runs is shown with the state after that step', () => {
  const config = { arch: 'x86-64', kernel: 'v6.0', patches: [] };
  const s: Scenario = {
    id: 'test/double-free',
    family: 'test',
    variant: 'double-free',
    question: 'a page freed twice',
    expect: 'violated',
    source: 'test',
    config,
    build: (c) => {
      const k = bootFor(c, { cpus: 2, mmCpus: [0] });
      const [pfn] = mapAnonSmall(k, k.machine.geometry.size(2), 1);
      const g = k.machine.geometry;
      const addr = g.size(2);
      const ptep = entryFor(k, addr, PTE);
      // a racy zap: check the pte, then clear it and free the page (alone, each is correct;
      // the two together free the page twice)
      const put = (name: string) => function* (): Program<void> {
        yield { op: 'enter', fn: name };
        if ((yield { op: 'load', addr: ptep, width: 2 }) !== 0) {
          yield { op: 'store', addr: ptep, width: 2, value: 0 };
          yield { op: 'store', addr: k.memmap.field(pfn, '_refcount'), width: 1, value: 0 };
          yield { op: 'free', frame: pfn, order: 0 };
        }
        yield { op: 'leave' };
      };
      return makeWorld(k, [
        { name: 'cpu0', cpu: 0, run: put('free_a') },
        { name: 'cpu1', cpu: 1, run: put('free_b') },
      ]);
    },
  };
  const b = bundleFromScenario(s);
  const t = b.traces[0];
  assert.equal(t.violation!.property, 'refcount');
  assert.equal(t.violation!.step, t.steps.length - 1, 'detected at the last step');
  const after = t.states[t.steps.length]!;
  assert.ok(after, 'the state after the failing step is shown');
  assert.deepEqual(t.columns.map((c) => c.key), ['cpu0', 'cpu1']);
  assert.equal(after.pages.find((p) => p.use === 'free' && p.gen === 1 && p.pfn !== after.pgd) !== undefined, true);
});

test('a clean scenario with an exhibit shows the observation, with its message at the end', () => {
  const s: Scenario = {
    id: 'test/exhibit',
    family: 'test',
    variant: 'exhibit',
    question: 'an exhibit, not a bug',
    expect: 'verified',
    source: 'test',
    config: { arch: 'x86-64', kernel: 'v6.0', patches: [] },
    build: (c) => {
      const k = bootFor(c, { cpus: 1, mmCpus: [0] });
      return makeWorld(k, [
        {
          name: 'cpu0',
          cpu: 0,
          run: function* (ctx: Ctx): Program<void> {
            yield { op: 'irq_disable' };
            observe(ctx, 'example', 'something worth showing');
            yield { op: 'irq_enable' };
          },
        },
      ]);
    },
  };
  const b = bundleFromScenario(s);
  assert.equal(b.verdict, 'vacuous', 'one CPU: a clean search, but no race in it');
  assert.deepEqual(b.traces.map((t) => t.label), ['observation: example']);
  const t = b.traces[0];
  assert.equal(t.violation!.property, 'observation: example');
  assert.equal(t.violation!.step, t.steps.length);
  assert.equal(t.states[1]!.cpus[0].irqOn, false);
  assert.equal(t.states[2]!.cpus[0].irqOn, true);
});

test('mmrace ui <id> serves on 127.0.0.1 and says where', async () => {
  const cli = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  const child = spawn(process.execPath, [cli, 'ui', 'collapse/x86-64-pmd-recheck', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    const url = await new Promise<string>((ok, fail) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
        const m = /serving on (http:\/\/127\.0\.0\.1:(\d+)\/)/.exec(out);
        if (m) ok(m[1]);
      });
      child.on('exit', (code) => fail(new Error(`exited ${code}: ${out}`)));
      setTimeout(() => fail(new Error(`no URL printed: ${out}`)), 60_000);
    });
    const port = Number(new URL(url).port);
    const api = JSON.parse((await get(port, '/api/trace')).body);
    assert.equal(api.id, 'collapse/x86-64-pmd-recheck');
    assert.equal(api.verdict, 'verified');
  } finally {
    child.kill();
  }
});
