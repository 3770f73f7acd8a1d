/** The C litmus parser: each construct, and each error with its file:line:col. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Expr, Prop, Stmt } from '../src/litmus/ast.js';
import { LitmusError } from '../src/litmus/error.js';
import { lower } from '../src/litmus/lower.js';
import { parseLitmus } from '../src/litmus/parser.js';
import { InputError } from '../src/scenarios/file.js';

const MP = `C MP+po-rel.acq

(*
 * Result: Sometimes DATARACE
 * (nested (* comment *) here)
 *)

{
\tx=1; y=z;
\tint *p = &x;
\t0:r1=2;
\tspinlock_t s;
\tatomic_t v = ATOMIC_INIT(-3);
\tint w
}

P0(int *x, int **y, spinlock_t *s) // a line comment
{
\tint r0, r1 = 4;
\tint *r2;
\t/* a block comment */
\tr0 = READ_ONCE(*x);
\tif (r0 == 1) {
\t\tWRITE_ONCE(*x, 2);
\t} else
\t\t*x = 3;
\tr2 = (*y);
\t{ smp_mb(); }
\t;
}

P1(void)
{
\tsmp_wmb();
}

locations [x; 0:r2;] (* shown in every state *)
filter (0:r0=0 \\/ 0:r0=1)
exists (0:r0=1 /\\ ~x=2 \\/ [y]=x /\\ 0:r1!=-1 => 0:r0=0:r1)
`;

test('parse: the name line, the header Result:, the init block', () => {
  const t = parseLitmus('mp.litmus', MP);
  assert.equal(t.name, 'MP+po-rel.acq');
  assert.deepEqual(t.expected, { observation: 'Sometimes', dataRace: true });
  assert.deepEqual(
    t.init.map((e) => (e.kind === 'reg' ? `${e.thread}:${e.name}=${JSON.stringify(e.value)}` : `${e.name}=${JSON.stringify(e.value ?? null)}`)),
    ['x={"kind":"num","value":1}', 'y={"kind":"loc","name":"z"}', 'p={"kind":"loc","name":"x"}', '0:r1={"kind":"num","value":2}', 's=null', 'v={"kind":"num","value":-3}', 'w=null'],
  );
  assert.equal(parseLitmus('a.litmus', 'C A\n{}\nP0() {}\nexists (true)').expected, undefined);
});

test('parse: threads, parameters, declarations, statements', () => {
  const t = parseLitmus('mp.litmus', MP);
  assert.equal(t.threads.length, 2);
  assert.deepEqual(t.threads[0].params.map((p) => p.name), ['x', 'y', 's']);
  assert.deepEqual(t.threads[1].params, []);
  const kinds = (ss: Stmt[]): string[] => ss.map((s) => (s.kind === 'if' ? `if[${kinds(s.then)}|${kinds(s.else)}]` : s.kind));
  assert.deepEqual(kinds(t.threads[0].body), ['decl', 'decl', 'decl', 'assign', 'if[expr|assign]', 'assign', 'expr']);
  const decl = t.threads[0].body[1];
  assert.ok(decl.kind === 'decl' && decl.name === 'r1' && decl.init?.kind === 'num' && decl.init.value === 4);
  const plain = (t.threads[0].body[4] as Extract<Stmt, { kind: 'if' }>).else[0];
  assert.ok(plain.kind === 'assign' && plain.target.kind === 'deref');
  assert.deepEqual({ line: t.threads[0].pos.line, col: t.threads[0].pos.col }, { line: 17, col: 1 });
});

test('parse: expressions follow C precedence', () => {
  const t = parseLitmus('e.litmus', 'C E\n{}\nP0(int *x) { int r = 1 + 2 * 3 == 7 && !0 | 0 ? -4 : ~5; }\nexists (0:r=-4)');
  const init = (t.threads[0].body[0] as Extract<Stmt, { kind: 'decl' }>).init!;
  const show = (e: Expr): string => {
    switch (e.kind) {
      case 'num':
        return String(e.value);
      case 'var':
        return e.name;
      case 'deref':
        return `*${show(e.ptr)}`;
      case 'unary':
        return `(${e.op}${show(e.arg)})`;
      case 'binary':
        return `(${show(e.left)} ${e.op} ${show(e.right)})`;
      case 'cond':
        return `(${show(e.test)} ? ${show(e.then)} : ${show(e.else)})`;
      case 'call':
        return `${e.name}(${e.args.map(show).join(', ')})`;
    }
  };
  assert.equal(show(init), '((((1 + (2 * 3)) == 7) && ((!0) | 0)) ? (-4) : (~5))');
});

test('parse: the clauses: locations, filter, and the condition with /\\ \\/ ~ => != [x]', () => {
  const t = parseLitmus('mp.litmus', MP);
  assert.deepEqual(t.locations.map((l) => (l.kind === 'reg' ? `${l.thread}:${l.name}` : l.name)), ['x', '0:r2']);
  assert.equal(t.filter?.kind, 'or');
  assert.equal(t.condition.quantifier, 'exists');
  const show = (p: Prop): string => {
    switch (p.kind) {
      case 'atom': {
        const loc = (l: typeof p.left): string => (l.kind === 'reg' ? `${l.thread}:${l.name}` : l.name);
        return `${loc(p.left)}=${p.right.kind === 'num' ? p.right.value : loc(p.right)}`;
      }
      case 'not':
        return `~${show(p.arg)}`;
      case 'and':
        return `(${p.args.map(show).join(' & ')})`;
      case 'or':
        return `(${p.args.map(show).join(' | ')})`;
      case 'implies':
        return `(${show(p.left)} -> ${show(p.right)})`;
      default:
        return p.kind;
    }
  };
  assert.equal(show(t.condition.prop), '(((0:r0=1 & ~x=2) | (y=x & ~0:r1=-1)) -> 0:r0=0:r1)');
  for (const [src, q] of [['~exists (x=1)', '~exists'], ['forall (x=1 \\/ x=0)', 'forall'], ['exists x=1', 'exists']] as const)
    assert.equal(parseLitmus('q.litmus', `C Q\n{}\nP0(int *x) { WRITE_ONCE(*x, 1); }\n${src}\n`).condition.quantifier, q);
});

test('parse: `(*` inside a thread is C (a parenthesised dereference), not a comment', () => {
  const t = parseLitmus('d.litmus', 'C D\n{}\nP0(int *x) {\n\tint r0 = (*x);\n}\nexists (0:r0=0)');
  const d = t.threads[0].body[0];
  assert.ok(d.kind === 'decl' && d.init?.kind === 'deref');
});

/** Each bad input and the error it gets: file:line:col, then what was expected. */
const ERRORS: Array<[string, string, RegExp]> = [
  ['not C', 'X86 T\n{}\nP0:\n', /^f\.litmus:1:1: expected 'C' \(a C litmus test\), not 'X86'$/],
  ['no name', 'C\n', /^f\.litmus:1:2: expected the test's name after 'C'$/],
  ['missing ;', 'C T\n{}\nP0(int *x) {\n\tint r0\n\tr0 = 1;\n}\nexists (0:r0=1)', /^f\.litmus:5:2: expected ',', '=' or ';', not 'r0'$/],
  ['threads out of order', 'C T\n{}\nP1(int *x) {}\nexists (x=0)', /^f\.litmus:3:1: expected P0 \(threads are numbered in order from P0\), not P1$/],
  ['no thread', 'C T\n{}\nexists (x=0)', /^f\.litmus:3:1: expected a thread 'P0\(\.\.\.\) \{ \.\.\. \}', not 'exists'$/],
  ['no condition', 'C T\n{}\nP0(int *x) {}\n', /^f\.litmus:4:1: expected the final condition: exists, ~exists or forall \(or locations, filter\), not the end of the file$/],
  ['after the condition', 'C T\n{}\nP0(int *x) {}\nexists (x=0) junk', /^f\.litmus:4:14: expected the end of the file after the condition, not 'junk'$/],
  ['unterminated comment', 'C T\n(* Result: Never\n{}\n', /^f\.litmus:2:1: unterminated comment: expected '\*\)'$/],
  ['bad character', 'C T\n{}\nP0(int *x) { @ }\nexists (x=0)', /^f\.litmus:3:14: unexpected character '@'$/],
  ['a loop', 'C T\n{}\nP0(int *x) {\n  while (1) {}\n}\nexists (x=0)', /^f\.litmus:4:3: unsupported statement 'while': expected a declaration, an assignment, a call or if\/else$/],
  ['bad lvalue', 'C T\n{}\nP0(int *x) { 1 = 2; }\nexists (x=0)', /^f\.litmus:3:14: expected a register or \*pointer on the left of '='$/],
  ['bad atom', 'C T\n{}\nP0(int *x) {}\nexists (x < 1)', /^f\.litmus:4:11: expected '=' in a condition atom, not '<'$/],
  ['bad init', 'C T\n{ x = ; }\nP0(int *x) {}\nexists (x=0)', /^f\.litmus:2:7: expected an initial value \(a number, a location or &location\), not ';'$/],
  ['unclosed body', 'C T\n{}\nP0(int *x) {\n  smp_mb();\n', /^f\.litmus:5:1: expected '}', not the end of the file$/],
  // found by the lowering's checks
  ['unknown primitive', 'C T\n{}\nP0(int *x) {\n  frob(x);\n}\nexists (x=0)', /^f\.litmus:4:3: unsupported primitive 'frob': expected a kernel primitive of linux-kernel\.def$/],
  ['arity', 'C T\n{}\nP0(int *x) {\n  WRITE_ONCE(*x);\n}\nexists (x=0)', /^f\.litmus:4:3: WRITE_ONCE takes 2 arguments, not 1$/],
  ['lvalue argument', 'C T\n{}\nP0(int *x) {\n  int r0 = READ_ONCE(x);\n}\nexists (x=0)', /^f\.litmus:4:22: expected \*pointer as READ_ONCE's argument 1 \(an lvalue, as in READ_ONCE\(\*x\)\)$/],
  ['no value', 'C T\n{}\nP0(int *x) {\n  int r0 = smp_mb();\n}\nexists (x=0)', /^f\.litmus:4:12: smp_mb\(\) has no value: expected it as a statement$/],
  ['undeclared', 'C T\n{}\nP0(int *x) {\n  WRITE_ONCE(*y, 1);\n}\nexists (x=0)', /^f\.litmus:4:15: expected a register or a parameter of P0, not 'y' \(undeclared\)$/],
  ['condition register', 'C T\n{}\nP0(int *x) {\n  int r0 = 1;\n}\nexists (0:r9=1)', /^f\.litmus:6:9: expected a register of P0, not 'r9'$/],
  ['condition thread', 'C T\n{}\nP0(int *x) {}\nexists (\n  3:r0=1)', /^f\.litmus:5:3: expected a thread number below 1, not 3$/],
  ['init thread', 'C T\n{ 2:r0=1; }\nP0(int *x) {}\nexists (x=0)', /^f\.litmus:2:3: expected a thread number below 1, not 2$/],
];

for (const [what, text, message] of ERRORS) {
  test(`parse error: ${what}`, () => {
    assert.throws(
      () => lower(parseLitmus('f.litmus', text)),
      (e: unknown) => {
        assert.ok(e instanceof LitmusError, String(e));
        assert.ok(e instanceof InputError, 'the CLI reports it as bad input (exit 3)');
        assert.match(e.message, message);
        return true;
      },
    );
  });
}
