/**
 * explain's drawings of the catalog's counterexamples: the table folds only pure internals and
 * says what it folded; the commit format is the racing core within 72 columns; no format cuts a
 * word. The counterexamples are the minimized schedules of test/counterexamples.json (written by
 * tools/counterexamples.ts), replayed here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { markdownTable } from '../src/cli/format.js';
import { commitMessage } from '../src/explore/commit.js';
import { SYNC_OPS, conflictingSteps, decisiveRaces, racePairs } from '../src/explore/races.js';
import { replay } from '../src/explore/runtime.js';
import { type Counterexample, renderTable, tableRows, wrap } from '../src/explore/trace.js';
import { CATALOG, findScenario } from '../src/scenarios/catalog.js';

interface Fixture {
  id: string;
  property: string;
  preemptions: number;
  schedule: number[];
}
const FIXTURES = JSON.parse(readFileSync(new URL('../../test/counterexamples.json', import.meta.url), 'utf8')) as Fixture[];

function load(f: Fixture): { cx: Counterexample; world: () => ReturnType<NonNullable<ReturnType<typeof findScenario>>['build']> } {
  const s = findScenario(f.id)!;
  const world = () => s.build(s.config);
  const exec = replay(world(), f.schedule);
  assert.equal(exec.violation?.property, f.property, `${f.id}: the schedule still replays to ${f.property} (else regenerate test/counterexamples.json, see tools/counterexamples.ts)`);
  return { cx: { id: f.id, config: s.config, schedule: f.schedule, preemptions: f.preemptions, violation: exec.violation!, steps: exec.trace }, world };
}

/** The names and words in a text (counts alone, such as how many steps are shown, left out). */
const words = (text: string) => new Set((text.match(/[A-Za-z0-9_]+/g) ?? []).filter((w) => /[A-Za-z_]/.test(w)));

/** Every word of `text` is a word of `source`: a word cut in two would leave a piece that is not. */
function noCutWords(id: string, what: string, text: string, source: Set<string>): void {
  for (const w of words(text)) assert.ok(source.has(w), `${id} ${what}: '${w}' is not a word of the trace (a cut word?)`);
}

test('the fixture holds a counterexample for every violated catalog row', () => {
  assert.deepEqual(FIXTURES.map((f) => f.id).sort(), CATALOG.filter((s) => s.expect === 'violated').map((s) => s.id).sort());
});

for (const f of FIXTURES) {
  test(`${f.id}: every format stays within its width and cuts no word; the table folds only internals`, () => {
    const { cx, world } = load(f);
    // the words as written, unwrapped: every step, every fold, the commit text at any width
    const source = words(
      [renderTable(cx, { width: 2000, full: true }), renderTable(cx, { width: 2000 }), commitMessage(cx, { width: 2000, world, title: cx.id }), markdownTable(cx)].join('\n'),
    );
    const commit = commitMessage(cx, { world, title: cx.id });
    for (const line of commit.split('\n')) assert.ok(line.length <= 72, `${f.id} commit: 72 columns: '${line}'`);
    noCutWords(f.id, 'commit', commit, source);
    const table = renderTable(cx, { width: 120 });
    for (const line of table.split('\n')) assert.ok(line.length <= 120, `${f.id} table: 120 columns: '${line}'`);
    noCutWords(f.id, 'table', table, source);

    // folded: exactly the steps that matter to no race, each fold saying how many of which functions
    const conflicting = conflictingSteps(cx.steps);
    const internal = cx.steps.filter((s, i) => !(SYNC_OPS.has(s.op) || conflicting.has(i) || s.notes.length || s.index === cx.violation.step));
    const folds = tableRows(cx).rows.map((r) => /^… (\d+) internal steps? of (.+) folded$/.exec(r.text)).filter((m) => m !== null);
    assert.equal(folds.reduce((n, m) => n + Number(m[1]), 0), internal.length, `${f.id}: the folds hold the internal steps`);
    for (const m of folds) for (const fn of m[2].split(', ')) assert.ok(internal.some((s) => (s.kind === 'irq' ? '[irq] ' : '') + s.fn === fn), `${f.id}: ${fn} folded`);
    const shown = tableRows(cx).rows.filter((r) => !r.text.startsWith('…') && !r.text.startsWith('  <--')).length;
    assert.equal(shown, cx.steps.length - internal.length, `${f.id}: every step that matters has its row`);
  });
}

test('collapse/arm64-no-recheck: the table shows the IRQ-off section, the locks, the TLBI and the frees that the old fold hid', () => {
  const { cx } = load(FIXTURES.find((f) => f.id === 'collapse/arm64-no-recheck')!);
  const t = renderTable(cx);
  for (const s of ['gup_fast: irq_disable', 'gup_fast: irq_enable', 'try_get_folio: rcu_read_lock', 'collapse_huge_page: spin_lock page 3->ptl', '__flush_tlb_range: tlbi_broadcast', 'free_frozen_pages: free frame 5', 'alloc_pages: alloc order 2'])
    assert.ok(t.includes(s), s);
  assert.ok(tableRows(cx).rows.some((r) => r.text === '… 2 internal steps of gup_fast_pgd_range, gup_fast_pud_range folded'));
  // page flags by name, an update as the bits it changes
  assert.match(t, /gup_fast_pte_range: bitop page 1->flags \+referenced/);
  assert.ok(tableRows(cx).rows.some((r) => r.text === 'try_grab_folio_fast: load page\u00a01->flags = uptodate|lru|anon_exclusive'));
  assert.doesNotMatch(t, /flags \d+ -> \d+|flags = \d/);
});

test('collapse/arm64-no-recheck: the races that decide it are GUP\'s pmd and pte reads against khugepaged\'s clears', () => {
  const { cx, world } = load(FIXTURES.find((f) => f.id === 'collapse/arm64-no-recheck')!);
  const describe = (i: number) => `${cx.steps[i].fn}: ${cx.steps[i].op} ${cx.steps[i].target.replace(/ \(.*/, '')}`;
  const all = racePairs(cx.steps).map((p) => `${describe(p.a)} / ${describe(p.b)}`);
  const deciding = decisiveRaces(cx, world).map((p) => `${describe(p.a)} / ${describe(p.b)}`);
  assert.deepEqual(deciding, ['gup_fast_pmd_range: load pmd[1] / pmdp_collapse_flush: xchg pmd[1]', 'gup_fast_pte_range: load pte[0] / __collapse_huge_page_copy_succeeded: xchg pte[0]']);
  assert.ok(all.length > deciding.length && deciding.every((d) => all.includes(d)), all.join('\n'));
});

test('commit: the IRQ-off section around the pmd race, in CPU 0\'s column; khugepaged in CPU 1\'s', () => {
  const { cx, world } = load(FIXTURES.find((f) => f.id === 'collapse/arm64-no-recheck')!);
  const lines = commitMessage(cx, { world, title: 'collapse/arm64-no-recheck (arm64, kernel v5.19)' }).split('\n');
  assert.ok(lines.length <= 30, `${lines.length} lines`);
  assert.equal(lines[0], 'stale-reference: GUP returned a page no longer mapped at its address');
  const col1 = lines.find((l) => /^CPU 0 +CPU 1$/.test(l))!.indexOf('CPU 1');
  const at = (re: RegExp, col: number) => {
    const i = lines.findIndex((l) => re.test(l));
    assert.ok(i >= 0, `a line matches ${re}`);
    assert.equal(lines[i].search(re) >= col1, col === 1, `${re} in CPU ${col}'s column`);
    return i;
  };
  const order = [at(/irq_disable/, 0), at(/load pmd\[1\] = 0x4027/, 0), at(/xchg pmd\[1\] 0x4027 -> 0x0/, 1), at(/tlbi_broadcast/, 1), at(/load pte\[0\] = 0x1067/, 0), at(/irq_enable/, 0), at(/xchg pte\[0\] 0x1067 -> 0x0/, 1)];
  assert.deepEqual(order, [...order].sort((a, b) => a - b), 'in the order they ran');
  assert.ok(lines.some((l) => l.trim() === '...'), 'ellipses for the steps left out');
});

test('wrap: between words or after a | of a flag list, never inside a word; a word too long runs over', () => {
  assert.deepEqual(wrap('__collapse_huge_page_copy_succeeded: load pte[0]', 20), ['__collapse_huge_page_copy_succeeded:', '  load pte[0]']);
  assert.deepEqual(wrap('load page 1->flags = uptodate|lru|anon_exclusive', 30), ['load page 1->flags = uptodate|', '  lru|anon_exclusive']);
  assert.deepEqual(wrap('x = referenced|uptodate|lru|anon_exclusive', 16), ['x = referenced|', '  uptodate|lru|', '  anon_exclusive']);
  assert.deepEqual(wrap('  <-- a note', 8), ['  <-- a', '    note']);
  assert.deepEqual(wrap('spin_lock page\u00a02->ptl', 12), ['spin_lock', '  page 2->ptl']);
});

test('markdown: the code spans keep <-- as typed, escape only |, and the message escapes <', () => {
  const { cx } = load(FIXTURES.find((f) => f.id === 'collapse/arm64-no-recheck')!);
  const md = markdownTable(cx);
  assert.match(md, /`  <-- folio 1: refcount 1 == mapcount 1: no pin`|`<-- folio 1: refcount 1 == mapcount 1: no pin`/);
  assert.doesNotMatch(md, /&lt;/);
  assert.match(md, /`try_grab_folio_fast: load page 1->flags = uptodate\\\|lru\\\|anon_exclusive`/);
  const odd = markdownTable({ ...cx, violation: { ...cx.violation, message: 'a <b> | c' } });
  assert.match(odd, /\*\*stale-reference\*\*: a &lt;b> \\\| c$/);
});
