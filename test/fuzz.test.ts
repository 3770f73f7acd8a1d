/**
 * Fuzzing the scenario loader (property-based, fast-check). Inputs: YAML-ish token soup, and
 * mutations of the examples (a key deleted, renamed or misspelt, a value replaced by one of
 * another type, addresses and budgets pushed out of range, duplicate keys, tabs, truncation,
 * bytes that are not UTF-8, the empty file). The property: `loadScenarioFile` either succeeds,
 * and then the scenario builds and a bounded check runs to a verdict, or it throws the loader's
 * InputError, one line, starting `<file>:<line>:<col>: <field>: ` (or `<file>: ` for a
 * whole-file problem). An execution may also reach kernel code the model leaves out: that is
 * NotModeled, naming it (the CLI reports it as bad input). Any other exception (TypeError, RangeError, zod's or the model's own
 * errors) is a bug in the loader or the registry.
 *
 * MMRACE_FUZZ_RUNS sets the runs per property (default 200; the README's figure is from 5000).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { check } from '../src/explore/check.js';
import { SoloViolation } from '../src/explore/solo.js';
import { NotModeled } from '../src/machine/effects.js';
import { InputError, loadScenarioFile } from '../src/scenarios/file.js';
import { LAYOUTS, PATHS, SETUPS } from '../src/scenarios/paths.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'mmrace-fuzz-'));
const RUNS = Number(process.env.MMRACE_FUZZ_RUNS ?? 200);
fc.configureGlobal({ includeErrorInReport: true });
const EXAMPLES = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.yaml'))
  .sort()
  .map((f) => ({ name: f, text: readFileSync(join(ROOT, 'examples', f), 'utf8') }));

let counter = 0;
function write(content: string | Uint8Array): string {
  const p = join(TMP, `case${counter++}.yaml`);
  writeFileSync(p, content);
  return p;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What a load error must look like; anything that is not an InputError is rethrown. */
function assertInputError(err: unknown, file: string, content: string | Uint8Array): void {
  if (!(err instanceof InputError)) throw err;
  const m = err.message;
  assert.ok(!m.includes('\n'), `one line: ${JSON.stringify(m)}`);
  if (m.startsWith(`${file}: `)) return; // a whole-file problem
  const at = new RegExp(`^${escape(file)}:(\\d+):(\\d+): ([^\\n]+?): \\S`).exec(m);
  assert.ok(at, `'<file>:<line>:<col>: <field>: ...', got ${JSON.stringify(m)}`);
  const lines = (typeof content === 'string' ? content : Buffer.from(content).toString('latin1')).split('\n').length;
  const line = Number(at[1]);
  assert.ok(line >= 1 && line <= lines + 1 && Number(at[2]) >= 1, `a position inside the file (${lines} lines): ${m}`);
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('latin1');
  for (const junk of ['undefined', 'NaN', '[object ']) // a value printed by mistake (unless the file has it)
    if (m.includes(junk)) assert.ok(text.toLowerCase().includes(junk.toLowerCase().replace('[object ', '[object')) || (junk === 'NaN' && /\.nan/i.test(text)), m);
  assert.doesNotMatch(m, /Invalid input|expected nonoptional|\bzod\b/, `a plain message, not zod's: ${m}`);
}

const tally = { ok: 0, error: 0, outside: 0 };

/** The property: load, then either a bounded check or a well-formed InputError. */
function loads(content: string | Uint8Array): 'ok' | 'error' | 'outside' {
  const r = loadsOnce(content);
  tally[r]++;
  return r;
}

function loadsOnce(content: string | Uint8Array): 'ok' | 'error' | 'outside' {
  const file = write(content);
  let s;
  try {
    s = loadScenarioFile(file);
  } catch (err) {
    assertInputError(err, file, content);
    return 'error';
  }
  let r;
  try {
    r = check(s, { maxExecutions: 5, timeLimitMs: 5_000, noMinimize: true });
  } catch (err) {
    // a path that breaks an oracle alone: bad input, naming the path and the property
    if (err instanceof SoloViolation) {
      assert.match(err.message, /^[\w./-]+: cpu\d+ \(\w+\) breaks [\w-]+ run alone/);
      return 'outside';
    }
    // an execution reached kernel code the model leaves out: a clean error naming it
    if (!(err instanceof NotModeled)) throw err;
    assert.match(err.message, /^[\w./-]+: cpu\d+ reached .+, which the model does not cover: the scenario is outside the model$/);
    return 'outside';
  }
  assert.ok(['violated', 'verified', 'vacuous', 'unknown'].includes(r.verdict));
  assert.ok(r.executions + r.sleepBlocked > 0);
  return 'ok';
}

// --- generators ------------------------------------------------------------------------------

const NAMES = [...LAYOUTS.keys(), ...PATHS.keys(), ...SETUPS.keys()];
const TOKENS = [
  'arch', 'kernel', 'map', 'cpus', 'setup', 'patches', 'geometry', 'frames', 'id', 'question', 'expect', 'source',
  'pgd', 'p4d', 'pud', 'pmd', 'pte', 'addr', 'at', 'pages', 'flags', 'name', 'vma', 'spare', 'swapcache', 'exclusive',
  'table_high', 'ptes', 'FOLL_PIN', 'FOLL_WRITE', 'arm64', 'x86-64', 'x86-32-pae', 'v5.19', 'v6.1', '+gup-pmd-recheck',
  '-gup-pte-recheck', 'violated', 'verified', ...NAMES,
  ':', ': ', ' ', '  ', '\n', '\n  ', '\n  - ', '- ', '{', '}', '[', ']', ',', '#', '"', "'", '\t', '---', '...', '? ',
  '|', '>', '&a ', '*a', '!!str ', '!!int ', '~', 'null', 'true', '0', '1', '-1', '0x4000', '0x4001', '0x0', '4096',
  '1e300', '.inf', '.nan', '9007199254740993', '0xffffffffffff', '%YAML 1.2\n', '<<: ', '\r\n', '\u00a0', '\ufeff',
];
const yamlish = fc
  .array(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...TOKENS) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 80 })
  .map((xs) => xs.join(''));

/** A value of some type: what a mutation puts where the example had something else. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.constantFrom('', ' ', '0x', '0x4001', '0x-1', '4000', 'FOLL_PINN', 'anon-smal', 'gup-fast', 'v6', 'x', '-', '+'),
  fc.integer({ min: -5, max: 70_000 }),
  fc.constantFrom(-1, 0, 1, 2, 3, 4, 5, 7, 8, 63, 64, 65, 4095, 4096, 4097, 0x1000, 0x4001, 0x40000, 2 ** 31, 2 ** 32, 2 ** 53, 2 ** 64, 1e300, -1e300, 0.5, -0),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer({ min: -2, max: 9 }), fc.string({ maxLength: 4 }), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('addr', 'at', 'pages', 'x', 'name', ''), fc.oneof(fc.integer({ min: -1, max: 0x10000 }), fc.string({ maxLength: 3 }), fc.constant(null)), { maxKeys: 3, noNullPrototype: true }),
);

type Path = Array<string | number>;
function paths(v: unknown, at: Path = []): Path[] {
  const out: Path[] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}
function get(v: unknown, p: Path): unknown {
  return p.reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string | number, unknown>)[k] : undefined), v);
}

const misspell = (s: string, i: number, how: number): string => {
  if (!s) return 'x';
  const j = i % s.length;
  switch (how % 6) {
    case 0: return s.slice(0, j) + s.slice(j + 1); // drop a letter
    case 1: return s.slice(0, j) + s[j] + s.slice(j); // double one
    case 2: return s.slice(0, j) + (s[j + 1] ?? '') + s[j] + s.slice(j + 2); // swap two
    case 3: return s.toUpperCase();
    case 4: return s.replace(/[-_]/g, (c) => (c === '-' ? '_' : '-'));
    default: return `${s}s`;
  }
};

type Mutation =
  | { k: 'delete'; at: number }
  | { k: 'replace'; at: number; value: unknown }
  | { k: 'rename'; at: number; i: number; how: number }
  | { k: 'word'; at: number; i: number; how: number; value: unknown }
  | { k: 'number'; at: number; f: number };
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('replace' as const), at: fc.nat(), value: anyValue }),
  fc.record({ k: fc.constant('rename' as const), at: fc.nat(), i: fc.nat(), how: fc.nat() }),
  fc.record({ k: fc.constant('word' as const), at: fc.nat(), i: fc.nat(), how: fc.nat(), value: anyValue }),
  fc.record({ k: fc.constant('number' as const), at: fc.nat(), f: fc.nat(9) }),
);

/** Apply a structural mutation to a parsed example (in place). */
function mutate(doc: Record<string, unknown>, m: Mutation): void {
  const all = paths(doc).filter((p) => p.length > 0);
  const p = all[m.at % all.length];
  const parent = get(doc, p.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = p[p.length - 1];
  const cur = (parent as Record<string | number, unknown>)[key];
  const set = (v: unknown) => void ((parent as Record<string | number, unknown>)[key] = v);
  switch (m.k) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete (parent as Record<string, unknown>)[key];
      return;
    case 'replace':
      return set(m.value);
    case 'rename': {
      if (Array.isArray(parent)) return set(typeof cur === 'string' ? misspell(cur, m.i, m.how) : cur);
      const entries = Object.entries(parent).map(([k, v]) => [k === key ? misspell(k, m.i, m.how) : k, v] as const);
      for (const k of Object.keys(parent)) delete (parent as Record<string, unknown>)[k];
      for (const [k, v] of entries) (parent as Record<string, unknown>)[k] = v;
      return;
    }
    case 'word': {
      // the one-line layout form: change one word of 'anon-small at 0x4000 pages 1 name A'
      if (typeof cur !== 'string') return set(m.value);
      const words = cur.split(' ');
      const j = m.i % words.length;
      words[j] = m.how % 3 === 0 ? '' : m.how % 3 === 1 ? misspell(words[j], m.i, m.how) : typeof m.value === 'object' && m.value !== null ? JSON.stringify(m.value) : String(m.value);
      return set(words.join(' '));
    }
    case 'number': {
      const n = typeof cur === 'number' ? cur : 0x4000;
      const out = [n + 1, n + 0x1000, n - 0x1000, -n, n * 1024, 2 ** 32 + n, n + 0x200000, 0, n / 2, `0x${n.toString(16)}1`][m.f];
      return set(out);
    }
  }
}

const structural = fc
  .record({ ex: fc.nat(EXAMPLES.length - 1), ms: fc.array(mutation, { minLength: 1, maxLength: 3 }) })
  .map(({ ex, ms }) => {
    const doc = parse(EXAMPLES[ex].text) as Record<string, unknown>;
    for (const m of ms) mutate(doc, m);
    return stringify(doc, { flowCollectionPadding: false });
  });

type TextOp =
  | { k: 'truncate'; at: number }
  | { k: 'tab'; at: number }
  | { k: 'dupline'; at: number }
  | { k: 'delline'; at: number }
  | { k: 'insert'; at: number; s: string };
const textOp: fc.Arbitrary<TextOp> = fc.oneof(
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('tab' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('dupline' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('delline' as const), at: fc.nat() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), s: fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 4 })) }),
);
function applyText(t: string, op: TextOp): string {
  const at = t.length ? op.at % (t.length + 1) : 0;
  const lines = t.split('\n');
  const li = op.at % lines.length;
  switch (op.k) {
    case 'truncate': return t.slice(0, at);
    case 'tab': return t.slice(0, at) + '\t' + t.slice(at);
    case 'dupline': return [...lines.slice(0, li + 1), lines[li], ...lines.slice(li + 1)].join('\n'); // duplicate keys
    case 'delline': return [...lines.slice(0, li), ...lines.slice(li + 1)].join('\n');
    case 'insert': return t.slice(0, at) + op.s + t.slice(at);
  }
}
const textual = fc
  .record({ ex: fc.nat(EXAMPLES.length - 1), ops: fc.array(textOp, { minLength: 1, maxLength: 3 }) })
  .map(({ ex, ops }) => ops.reduce(applyText, EXAMPLES[ex].text));

/** Bytes that are not UTF-8 somewhere in an example (or the whole file). */
const binary = fc
  .record({ ex: fc.nat(EXAMPLES.length - 1), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) })
  .map(({ ex, at, bytes }) => {
    const b = Buffer.from(EXAMPLES[ex].text, 'utf8');
    const i = at % (b.length + 1);
    return new Uint8Array(Buffer.concat([b.subarray(0, i), Buffer.from([0xff]), bytes, b.subarray(i)]));
  });

/** Scenarios composed from the registry itself: every layout, setup and path, placed where the
 * map put something (so that many load and the bounded check runs the paths on them), then
 * sometimes one argument pushed to an edge (unaligned, unmapped, past the address space, huge
 * or zero page counts, a value of another type). */
const EDGE = fc.oneof(
  fc.constantFrom(0x1000, 0x5000, 0x1f000, 0x20000, 0x40000, 2 ** 32, 1e12, 0, -1, 3, 512, true, 'B', 'C'),
  anyValue,
);
function sane(key: string, ats: number[]): fc.Arbitrary<unknown> {
  switch (key) {
    case 'addr':
      return fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...ats) }, { weight: 1, arbitrary: fc.constantFrom(...ats.map((x) => x + 0x1000)) });
    case 'at':
      return fc.constantFrom(...ats);
    case 'pages':
      return fc.constantFrom(1, 2, 4);
    case 'flags':
      return fc.subarray(['FOLL_PIN', 'FOLL_WRITE', 'FOLL_GET']);
    case 'name':
      return fc.constantFrom('A', 'below');
    case 'vma':
    case 'spare':
      return key === 'vma' ? fc.constantFrom('B', 'A') : fc.constantFrom(['B'], [], ['B', 'C']);
    case 'table_high':
      return fc.oneof({ weight: 5, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) });
    default:
      return fc.boolean();
  }
}
function entryOf(defs: Map<string, { args: unknown }>, ats: number[]): fc.Arbitrary<Record<string, unknown>> {
  return fc.constantFrom(...defs.keys()).chain((name) => {
    const shape = (defs.get(name)!.args as { shape?: Record<string, unknown> }).shape ?? {};
    const keys = Object.keys(shape);
    if (!keys.length) return fc.constant({ [name]: {} });
    return fc.record(Object.fromEntries(keys.map((k) => [k, sane(k, ats)])), { requiredKeys: keys.filter((k) => k === 'addr' || k === 'at' || k === 'vma') }).map((a) => ({ [name]: a }));
  });
}
const composed = fc
  .record({
    arch: fc.constantFrom('x86-64', 'x86-64-rcu', 'arm64', 'arm64-no-rcu-table-free', 'powerpc', 'x86-32-pae'),
    kernel: fc.constantFrom('v5.8', 'v5.19', 'v6.0', 'v6.1', 'v6.6', 'v6.12'),
    geometry: fc.option(fc.record({ pgd: fc.integer({ min: 1, max: 2 }), p4d: fc.integer({ min: 0, max: 1 }), pud: fc.integer({ min: 0, max: 2 }), pmd: fc.integer({ min: 1, max: 2 }), pte: fc.integer({ min: 1, max: 3 }) }, { requiredKeys: [] }), { nil: undefined, freq: 3 }),
    frames: fc.option(fc.constantFrom(16, 72, 200), { nil: undefined, freq: 2 }),
    ats: fc.shuffledSubarray([0, 0x4000, 0x8000, 0x10000, 0x20000], { minLength: 1, maxLength: 3 }),
    edge: fc.option(fc.record({ at: fc.nat(), value: EDGE }), { nil: undefined, freq: 2 }),
  })
  .chain(({ ats, edge, ...head }) =>
    fc
      .record({
        map: fc.tuple(...ats.map((at) => entryOf(LAYOUTS as Map<string, { args: unknown }>, [at]))),
        setup: fc.option(fc.array(entryOf(SETUPS as Map<string, { args: unknown }>, ats), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 3 }),
        cpus: fc.array(entryOf(PATHS as Map<string, { args: unknown }>, ats), { minLength: 1, maxLength: 3 }),
      })
      .map((body) => {
        const spec = JSON.parse(JSON.stringify({ ...head, ...body })) as Record<string, unknown>;
        (spec.map as Array<Record<string, Record<string, unknown>>>).forEach((e, i) => {
          const a = Object.values(e)[0];
          if (a && 'name' in a) a.name = ['A', 'below', 'C'][i]; // one name per region
        });
        if (edge) {
          // one argument of one entry at an edge
          const args = paths(spec).filter((p) => p.length === 4 && (p[0] === 'map' || p[0] === 'cpus' || p[0] === 'setup'));
          if (args.length) {
            const p = args[edge.at % args.length];
            (get(spec, p.slice(0, -1)) as Record<string, unknown>)[p[3] as string] = edge.value;
          }
        }
        return stringify(spec);
      }),
  );

// --- the properties ----------------------------------------------------------------------------

test('fuzz: YAML-ish token soup loads or fails with file:line:col: field: message', (t) => {
  Object.assign(tally, { ok: 0, error: 0, outside: 0 });
  fc.assert(fc.property(yamlish, (t) => void loads(t)), { numRuns: RUNS });
  t.diagnostic(`${tally.ok} loaded and checked, ${tally.error} rejected with an InputError, ${tally.outside} outside the model`);
});

test('fuzz: structural mutations of the examples (keys deleted, renamed, values of other types)', (t) => {
  Object.assign(tally, { ok: 0, error: 0, outside: 0 });
  fc.assert(fc.property(structural, (t) => void loads(t)), { numRuns: RUNS * 2 });
  t.diagnostic(`${tally.ok} loaded and checked, ${tally.error} rejected with an InputError, ${tally.outside} outside the model`);
});

test('fuzz: textual mutations of the examples (truncation, tabs, duplicate lines and keys, insertions)', (t) => {
  Object.assign(tally, { ok: 0, error: 0, outside: 0 });
  fc.assert(fc.property(textual, (t) => void loads(t)), { numRuns: RUNS });
  t.diagnostic(`${tally.ok} loaded and checked, ${tally.error} rejected with an InputError, ${tally.outside} outside the model`);
});

test('fuzz: scenarios composed from the registry with arguments near the edges', (t) => {
  Object.assign(tally, { ok: 0, error: 0, outside: 0 });
  fc.assert(fc.property(composed, (t) => void loads(t)), { numRuns: RUNS * 2 });
  t.diagnostic(`${tally.ok} loaded and checked, ${tally.error} rejected with an InputError, ${tally.outside} outside the model`);
});

test('fuzz: bytes that are not UTF-8', (t) => {
  Object.assign(tally, { ok: 0, error: 0, outside: 0 });
  fc.assert(fc.property(binary, (b) => void loads(b)), { numRuns: Math.ceil(RUNS / 4) });
  t.diagnostic(`${tally.ok} loaded and checked, ${tally.error} rejected with an InputError, ${tally.outside} outside the model`);
});

test('every example loads and its bounded check runs (the seeds of the mutations)', () => {
  for (const e of EXAMPLES) assert.equal(loads(e.text), 'ok', e.name);
});

// --- what the fuzzers found (each was a crash, a foreign exception or a message without its
// field before the fix) ---------------------------------------------------------------------------

const HEAD = 'arch: arm64\nkernel: v6.12\n';
const REGRESSIONS: Array<[string, string | Uint8Array, RegExp]> = [
  // the empty file had no field ('<file>:1:1: expected a mapping'); it is a whole-file problem
  ['empty', '', /^<file>: the file is empty/],
  ['newline only', '\n', /^<file>: the file is empty/],
  ['comments only', '# nothing\n', /^<file>: nothing in the file but comments/],
  ['a list', '- a\n- b\n', /^<file>:1:1: \(top level\): expected a mapping with arch, kernel, map and cpus \(see examples\/\), not a list$/],
  // yaml's toJS threw a ReferenceError for an alias to an anchor never set
  ['unresolved alias', `${HEAD}map: *x\ncpus: [alloc_page]\n`, /^<file>:3:6: malformed YAML: Unresolved alias/],
  // zod said only 'Invalid input' for a value of the wrong type in an address
  ['address of another type', `${HEAD}map: anon-small at 0x4000 pages 1\ncpus:\n  - gup_fast: {addr: false}\n`, /^<file>:5:22: cpus\[0\]\.gup_fast\.addr: expected an address like 0x4000/],
  ['negative address', `${HEAD}map: anon-small at 0x4000 pages 1\ncpus:\n  - gup_fast: {addr: -4096}\n`, /^<file>:5:22: cpus\[0\]\.gup_fast\.addr: expected number to be >=0$/],
  // the Geometry constructor threw a plain Error (exit 4, a stack trace)
  ['folded pgd', `${HEAD}geometry: {pgd: 0}\nmap: anon-small at 0x4000 pages 1\ncpus: [alloc_page]\n`, /^<file>:3:17: geometry\.pgd: expected 1 to 4 \(log2 entries per table; this level cannot be folded\)$/],
  // laying out 10^12 pages ran V8 out of array size (a fatal error, the process died)
  ['huge layout', `${HEAD}map: anon-small at 0x4000 pages 1000000000000\ncpus: [alloc_page]\n`, /^<file>:3:6: map\[0\]\.anon-small\.pages: 1000000000000 pages at 0x4000 run past the end of the address space 0x20000$/],
  // munmap of part of a region reached the VMA tree model's 'model bug: a store that splits a slot'
  ['munmap of part of a region', `${HEAD}map: anon-small at 0x4000 pages 4\nsetup: [vma-tree]\ncpus:\n  - munmap: {addr: 0x4000}\n`, /^<file>:6:20: cpus\[0\]\.munmap\.addr: \[0x4000, 0x5000\) covers part of anon-small \[0x4000, 0x8000\): the model does not split VMAs, so cover whole regions$/],
  // with too few frames the layout's page tables were not allocated (frame -1), and a walk read
  // outside memory: 'model bug: table access at 72057594037927930 outside frame 9007199254740991'
  ['no frames left for the page tables', 'arch: powerpc\nkernel: v6.1\nframes: 16\nmap:\n  - anon-thp: {at: 0x8000}\n  - dev-dax: {at: 0x10000}\ncpus:\n  - madvise_dontneed: {addr: 0x10000}\n', /^<file>:6:\d+: map\[1\]\.dev-dax: not enough memory for this layout \(16 frames, none left for a page table\): raise 'frames'$/],
];

for (const [name, content, expected] of REGRESSIONS)
  test(`fuzz regression: ${name}`, () => {
    const file = write(content);
    assert.throws(
      () => loadScenarioFile(file),
      (err: Error) => {
        assertInputError(err, file, content);
        assert.match(err.message.replace(file, '<file>'), expected);
        return true;
      },
    );
  });

test('fuzz regression: a scenario that reaches code the model leaves out says so (was a plain Error: exit 4, a stack trace)', () => {
  // madvise(DONTNEED) racing the dev_dax fault on an unmapped range reaches zap_pmd_range
  const file = write('arch: x86-64\nkernel: v6.12\nmap:\n  - dev-dax: {at: 0x8000, mapped: false}\ncpus:\n  - madvise_dontneed: {addr: 0x8000}\n  - dev_dax_touch: {addr: 0x8000}\n');
  const s = loadScenarioFile(file);
  assert.throws(() => check(s, { noMinimize: true }), (e: Error) => e instanceof NotModeled && /^file\/case\d+: cpu0 reached zap_pmd_range, which the model does not cover/.test(e.message));
});

test('fuzz regression: bytes that are not UTF-8 are named, not turned into U+FFFD', () => {
  const file = write(Buffer.concat([Buffer.from('arch: arm64\nkernel: vé'), Buffer.from([0xe2, 0x82]), Buffer.from('\n')]));
  assert.throws(() => loadScenarioFile(file), (e: Error) => e instanceof InputError && e.message === `${file}: not UTF-8 text: byte 0xe2 at line 2, column 11`);
});
