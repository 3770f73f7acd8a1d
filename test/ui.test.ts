/**
 * The trace viewer in a real browser: Debian's Chromium driven by playwright-core opens the
 * collapse counterexample, steps with the arrow keys to the violation, and checks what the
 * panels show; a screenshot goes to test-output/ (gitignored). Skipped when /usr/bin/chromium is
 * missing, except in CI, where .ci/run installs it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import type { PageSnap, Snapshot } from '../src/kernel/snapshot.js';
import { loadScenarioFile } from '../src/scenarios/file.js';
import { bundleFor, bundleFromScenario } from '../src/ui/bundle.js';
import type { UiBundle } from '../src/ui/model.js';
import { type UiServer, serveUi } from '../src/ui/server.js';

const CHROMIUM = '/usr/bin/chromium';
const ID = 'collapse/arm64-no-recheck';
const OUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
const skip = !existsSync(CHROMIUM) && process.env.CI !== 'true' ? `${CHROMIUM} is not installed (apt-get install chromium)` : false;

let server: UiServer;
let ctx: BrowserContext;
let profile: string;
let bundle: UiBundle;

before(async () => {
  if (skip) return;
  bundle = bundleFor(ID);
  server = await serveUi(bundle, { port: 0 });
  profile = mkdtempSync(join(tmpdir(), 'mmrace-chromium-'));
  ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    chromiumSandbox: false,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await ctx?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('the collapse counterexample in the browser: CPU columns, arrow keys to the violation, the stale page', { skip, timeout: 120_000 }, async () => {
  const t = bundle.traces[0];
  assert.equal(t.label, 'counterexample');
  const n = t.steps.length;
  const v = Math.min(t.violation!.step + 1, n);
  const last = t.states[v] as Snapshot;
  const P = last.gup[0].pfn;
  const stale = last.pages.find((p) => p.pfn === P) as PageSnap;

  const page = await ctx.newPage();
  /** the URL names the step once the page has rendered it */
  const at = async (k: number) => {
    await page.waitForFunction((h) => location.hash === h, `#step=${k}`, { timeout: 10_000 });
    assert.match(page.url(), new RegExp(`#step=${k}$`));
    assert.equal(await page.textContent('[data-testid=position]'), `step ${k} / ${n}`);
  };
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(server.url);
  await page.waitForSelector('[data-testid=steps]');
  await at(0);
  assert.equal(await page.textContent('[data-testid=scenario-id]'), ID);
  assert.equal(await page.textContent('[data-testid=verdict]'), 'violated');
  assert.equal(await page.textContent('[data-testid=preemptions]'), `${t.preemptions} preemptions`);
  assert.ok(t.preemptions! >= 1);

  // one column per CPU context, each step in its CPU's column
  const cols = await page.locator('table.steps thead th[data-col]').allTextContents();
  assert.deepEqual(cols, ['CPU 0', 'CPU 1']);
  assert.equal(await page.locator('table.steps tbody tr[data-step]').count(), n);
  const pin = t.steps.findIndex((s) => s.op === 'add_unless' && s.target === `page ${P}->_refcount` && s.read === true);
  assert.ok(pin >= 0);
  assert.match((await page.textContent(`tr[data-step="${pin + 1}"] td[data-col=cpu0]`))!, /try_get_folio/);
  assert.equal((await page.textContent(`tr[data-step="${pin + 1}"] td[data-col=cpu1]`))!.trim(), '');

  // step with the arrow keys: the URL follows
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('ArrowRight');
  await at(1);
  await page.keyboard.press('ArrowLeft');
  await at(0);
  assert.equal(await page.locator('[data-testid=violation]').count(), 0);
  for (let i = 0; i < pin + 1; i++) await page.keyboard.press('ArrowRight');
  await at(pin + 1);
  // GUP-fast's reference lands on the small page: its refcount cell changed at this step
  const refCell = page.locator(`[data-testid=panel-pages] tr[data-pfn="${P}"] td[data-field=ref]`);
  assert.match((await refCell.getAttribute('class')) ?? '', /chg/);
  assert.equal((await refCell.textContent())?.trim(), String((t.states[pin + 1] as Snapshot).pages.find((p) => p.pfn === P)!.ref));
  assert.equal(await page.locator('[data-testid=violation]').count(), 0);
  for (let i = pin + 1; i < v; i++) await page.keyboard.press('ArrowRight');
  await at(v);

  // the violated property, shown at its step
  const banner = (await page.textContent('[data-testid=violation]'))!;
  assert.match(banner, /STALE-REFERENCE/);
  assert.match(banner, new RegExp(`returned page ${P} `));
  assert.match(await page.getAttribute(`tr[data-step="${v}"]`, 'class') ?? '', /violation/);

  // the pages panel: the stale page's counts, and the pin marked stale
  const row = page.locator(`[data-testid=panel-pages] tr[data-pfn="${P}"]`);
  assert.match((await row.getAttribute('class')) ?? '', /stale/);
  assert.equal((await row.locator('td[data-field=ref]').textContent())?.trim(), String(stale.ref));
  assert.equal((await row.locator('td[data-field=pin]').textContent())?.trim(), String(stale.pin ?? 0));
  assert.equal((await row.locator('td[data-field=map]').textContent())?.trim(), '0');
  assert.ok(stale.ref >= 1024, 'the pin holds GUP_PIN_COUNTING_BIAS on the small folio');
  assert.match((await row.locator('td[data-field=gup]').textContent())!, /pinned by cpu0 .*STALE/);

  // the page tables: the pmd maps the new huge page; CPU state is shown
  const thp = t.steps.find((s) => s.op === 'alloc')!.read as number;
  assert.match((await page.textContent('[data-testid=panel-tables]'))!, new RegExp(`huge page ${thp}–${thp + 3}`));
  const cpus = (await page.textContent('[data-testid=panel-cpus]'))!;
  assert.match(cpus, /CPU 0.*IRQs: on.*TLB/s);
  assert.match(cpus, /CPU 1/);

  mkdirSync(OUT, { recursive: true });
  await page.screenshot({ path: join(OUT, 'ui-collapse-violation.png') });

  // and back: the banner goes with the step
  await page.keyboard.press('ArrowLeft');
  await at(v - 1);
  assert.equal(await page.locator('[data-testid=violation]').count(), 0);

  // the URL names the step: opening it shows that step
  await page.goto(`${server.url}#step=${pin + 1}`);
  await page.waitForSelector('[data-testid=steps]');
  await at(pin + 1);
  assert.deepEqual(errors, []);
  await page.close();
});

test('a sequence in the browser: a marker where each path of CPU 1 starts, the columns labelled with the roles', { skip, timeout: 120_000 }, async () => {
  const s = loadScenarioFile(fileURLToPath(new URL('../../examples/sequence.yaml', import.meta.url)));
  const b = bundleFromScenario(s);
  const t = b.traces[0];
  const seq = await serveUi(b, { port: 0 });
  try {
    const page = await ctx.newPage();
    await page.goto(seq.url);
    await page.waitForSelector('[data-testid=steps]');
    const cols = await page.locator('table.steps thead th[data-col]').allTextContents();
    assert.deepEqual(cols, ['CPU 0 · a DMA user pinning A', 'CPU 1 · the process unmapping A, then another owner allocating']);
    // one marker per path, in CPU 1's column, on the first step of that path
    const markers = page.locator('td[data-col=cpu1] [data-testid=path-start]');
    assert.deepEqual(await markers.allTextContents(), ['▶ munmap (1/2)', '▶ alloc_page (2/2)']);
    const first = (path: string) => t.steps.findIndex((x) => x.path === path) + 1;
    for (const path of ['munmap (1/2)', 'alloc_page (2/2)'])
      assert.equal(await page.locator(`tr[data-step="${first(path)}"] td[data-col=cpu1] [data-testid=path-start]`).textContent(), `▶ ${path}`);
    assert.equal(await page.locator('td[data-col=cpu0] [data-testid=path-start]').count(), 0);
    await page.close();
  } finally {
    await seq.close();
  }
});
