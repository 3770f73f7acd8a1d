/**
 * A recursive-descent parser for C litmus tests, the subset tools/memory-model's tests use:
 * the `{ ... }` init block, `P0(...) { ... }` .. `Pn`, then `locations [...]`, `filter ...` and
 * the final `exists` / `~exists` / `forall` condition. Every error names file:line:col and what
 * was expected there.
 */
import type { BinaryOp, CondLoc, Condition, Expected, Expr, InitEntry, InitValue, LitmusTest, Param, Prop, Stmt, ThreadAst } from './ast.js';
import { LitmusError, type Pos } from './error.js';
import { type Comment, type Token, lex, numberValue } from './lexer.js';

/** Words that start a declaration (`int r0;`), besides any identifier ending in `_t`. */
const TYPE_WORDS = new Set(['int', 'long', 'short', 'char', 'unsigned', 'signed', 'const', 'volatile', 'struct', 'bool', '_Bool', 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64']);
const UNSUPPORTED = new Set(['while', 'for', 'do', 'return', 'goto', 'switch', 'break', 'continue']);

/** C's binary operators by precedence, loosest first (`?:` is above them). */
const LEVELS: BinaryOp[][] = [['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '<=', '>', '>='], ['+', '-'], ['*']];

export function parseLitmus(file: string, text: string): LitmusTest {
  const lexed = lex(file, text);
  const p = new Parser(file, lexed.tokens);
  const init = p.at('{') ? p.initBlock() : [];
  const threads: ThreadAst[] = [];
  while (p.peek().kind === 'ident' && /^P\d+$/.test(p.peek().text)) threads.push(p.thread(threads.length));
  if (threads.length === 0) throw p.expected(`a thread 'P0(...) { ... }'`);
  const { locations, filter, condition } = p.clauses();
  return { file, name: lexed.name.text, expected: expectedResult(lexed.comments), init, threads, locations, filter, condition };
}

/** `Result: Never|Sometimes|Always [DATARACE]` in a comment (judgelitmus.sh's convention). */
function expectedResult(comments: Comment[]): Expected | undefined {
  for (const c of comments) {
    const m = /Result:[ \t]*(Never|Sometimes|Always)\b([^\n]*)/.exec(c.text);
    if (m) return { observation: m[1] as Expected['observation'], dataRace: /\bDATARACE\b/.test(m[2]) };
  }
  return undefined;
}

class Parser {
  private i = 0;
  constructor(
    readonly file: string,
    readonly tokens: Token[],
  ) {}

  peek(k = 0): Token {
    return this.tokens[Math.min(this.i + k, this.tokens.length - 1)];
  }
  at(text: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind !== 'eof' && t.text === text;
  }
  next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  accept(text: string): boolean {
    if (!this.at(text)) return false;
    this.i++;
    return true;
  }
  expect(text: string, what = `'${text}'`): Token {
    if (!this.at(text)) throw this.expected(what);
    return this.next();
  }
  ident(what: string): Token {
    if (this.peek().kind !== 'ident') throw this.expected(what);
    return this.next();
  }
  expected(what: string, t = this.peek()): LitmusError {
    return new LitmusError(this.file, t.pos, `expected ${what}, not ${describe(t)}`);
  }

  // ---- the init block ----

  initBlock(): InitEntry[] {
    this.expect('{');
    const out: InitEntry[] = [];
    while (!this.accept('}')) {
      if (this.accept(';')) continue;
      out.push(this.initEntry());
      if (!this.at('}')) this.expect(';', `';' or '}'`);
    }
    return out;
  }

  private initEntry(): InitEntry {
    const pos = this.peek().pos;
    if (this.peek().kind === 'num' && this.at(':', 1)) {
      const thread = numberValue(this.next());
      this.next();
      const name = this.ident('a register name after the thread number').text;
      this.expect('=');
      return { kind: 'reg', thread, name, value: this.initValue(), pos };
    }
    const name = this.declarator(`a location name, a declaration such as 'int x = 1' or a register such as '0:r1 = 1'`);
    if (!this.accept('=')) return { kind: 'loc', name: name.text, pos: name.pos };
    return { kind: 'loc', name: name.text, value: this.initValue(), pos: name.pos };
  }

  /** Type words and stars, then the name: `int *p`, `spinlock_t lo`, `x`. The last word is the name. */
  private declarator(what: string): Token {
    let name: Token | null = null;
    while (this.peek().kind === 'ident' || this.at('*')) {
      const t = this.next();
      if (t.kind === 'ident') name = t;
    }
    if (!name) throw this.expected(what);
    return name;
  }

  private initValue(): InitValue {
    const t = this.peek();
    if (this.accept('-')) return { kind: 'num', value: -this.number() };
    if (t.kind === 'num') return { kind: 'num', value: this.number() };
    if (this.accept('&')) return { kind: 'loc', name: this.ident('a location name after &').text };
    if (t.kind === 'ident') {
      this.next();
      if (t.text === 'ATOMIC_INIT' && this.accept('(')) {
        const neg = this.accept('-');
        const v = this.number();
        this.expect(')');
        return { kind: 'num', value: neg ? -v : v };
      }
      return { kind: 'loc', name: t.text };
    }
    throw this.expected(`an initial value (a number, a location or &location)`);
  }

  private number(): number {
    if (this.peek().kind !== 'num') throw this.expected('a number');
    return numberValue(this.next());
  }

  // ---- threads ----

  thread(expectIndex: number): ThreadAst {
    const head = this.next();
    const index = Number(head.text.slice(1));
    if (index !== expectIndex) throw new LitmusError(this.file, head.pos, `expected P${expectIndex} (threads are numbered in order from P0), not ${head.text}`);
    this.expect('(', `'(' and P${index}'s parameters`);
    const params: Param[] = [];
    if (this.at('void') && this.at(')', 1)) this.next();
    while (!this.accept(')')) {
      const name = this.declarator(`a parameter such as 'int *x'`);
      params.push({ name: name.text, pos: name.pos });
      if (!this.at(')')) this.expect(',', `',' or ')'`);
    }
    return { index, params, body: this.block(), pos: head.pos };
  }

  private block(): Stmt[] {
    this.expect('{', `'{'`);
    const out: Stmt[] = [];
    while (!this.accept('}')) {
      if (this.peek().kind === 'eof') throw this.expected(`'}'`);
      out.push(...this.statement());
    }
    return out;
  }

  /** One statement; a block or a declaration list gives several (a block has no scope of its own). */
  private statement(): Stmt[] {
    const t = this.peek();
    if (this.at('{')) return this.block();
    if (this.accept(';')) return [];
    if (t.kind === 'ident' && t.text === 'if') return [this.ifStatement()];
    if (t.kind === 'ident' && UNSUPPORTED.has(t.text)) throw new LitmusError(this.file, t.pos, `unsupported statement '${t.text}': expected a declaration, an assignment, a call or if/else`);
    if (this.isDeclaration()) return this.declaration();
    const expr = this.expr();
    if (this.accept('=')) {
      if (expr.kind !== 'var' && expr.kind !== 'deref') throw new LitmusError(this.file, expr.pos, `expected a register or *pointer on the left of '='`);
      const value = this.expr();
      this.expect(';', `';'`);
      return [{ kind: 'assign', target: expr, value, pos: expr.pos }];
    }
    this.expect(';', `';' or '='`);
    return [{ kind: 'expr', expr, pos: expr.pos }];
  }

  private isDeclaration(): boolean {
    const t = this.peek();
    if (t.kind !== 'ident' || !(TYPE_WORDS.has(t.text) || /_t$/.test(t.text))) return false;
    const n = this.peek(1);
    return n.kind === 'ident' || (n.kind === 'punct' && n.text === '*');
  }

  private declaration(): Stmt[] {
    const out: Stmt[] = [];
    while (this.peek().kind === 'ident' && (TYPE_WORDS.has(this.peek().text) || /_t$/.test(this.peek().text)) && (this.peek(1).kind === 'ident' || this.at('*', 1)))
      if (this.next().text === 'struct') this.ident('a struct tag');
    for (;;) {
      while (this.accept('*'));
      const name = this.ident('a register name');
      const init = this.accept('=') ? this.expr() : undefined;
      out.push({ kind: 'decl', name: name.text, init, pos: name.pos });
      if (this.accept(';')) return out;
      this.expect(',', `',', '=' or ';'`);
    }
  }

  private ifStatement(): Stmt {
    const pos = this.next().pos;
    this.expect('(', `'(' after if`);
    const test = this.expr();
    this.expect(')', `')'`);
    const then = this.statement();
    const els = this.at('else') ? (this.next(), this.statement()) : [];
    return { kind: 'if', test, then, else: els, pos };
  }

  // ---- expressions ----

  expr(): Expr {
    const test = this.binary(0);
    if (!this.at('?')) return test;
    this.next();
    const then = this.expr();
    this.expect(':', `':'`);
    return { kind: 'cond', test, then, else: this.expr(), pos: test.pos };
  }

  private binary(level: number): Expr {
    if (level === LEVELS.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      const op = LEVELS[level].find((o) => t.kind === 'punct' && t.text === o);
      if (!op) return left;
      this.next();
      left = { kind: 'binary', op, left, right: this.binary(level + 1), pos: left.pos };
    }
  }

  private unary(): Expr {
    const t = this.peek();
    if (t.kind === 'punct') {
      if (t.text === '*') {
        this.next();
        return { kind: 'deref', ptr: this.unary(), pos: t.pos };
      }
      if (t.text === '!' || t.text === '-' || t.text === '~') {
        this.next();
        return { kind: 'unary', op: t.text, arg: this.unary(), pos: t.pos };
      }
      if (t.text === '/' || t.text === '%' || t.text === '<<' || t.text === '>>')
        throw new LitmusError(this.file, t.pos, `unsupported operator '${t.text}'`);
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    if (t.kind === 'num') {
      this.next();
      return { kind: 'num', value: numberValue(t), pos: t.pos };
    }
    if (this.accept('(')) {
      const e = this.expr();
      this.expect(')', `')'`);
      return e;
    }
    if (t.kind === 'ident') {
      this.next();
      if (!this.accept('(')) return { kind: 'var', name: t.text, pos: t.pos };
      const args: Expr[] = [];
      while (!this.accept(')')) {
        args.push(this.expr());
        if (!this.at(')')) this.expect(',', `',' or ')'`);
      }
      return { kind: 'call', name: t.text, args, pos: t.pos };
    }
    throw this.expected('an expression');
  }

  // ---- the clauses after the threads ----

  clauses(): { locations: CondLoc[]; filter?: Prop; condition: Condition } {
    const locations: CondLoc[] = [];
    let filter: Prop | undefined;
    for (;;) {
      const t = this.peek();
      if (t.kind === 'ident' && t.text === 'locations') {
        this.next();
        this.expect('[', `'[' after locations`);
        while (!this.accept(']')) {
          locations.push(this.condLoc());
          if (!this.at(']')) this.expect(';', `';' or ']'`);
        }
      } else if (t.kind === 'ident' && t.text === 'filter') {
        this.next();
        filter = this.prop();
      } else break;
    }
    const t = this.peek();
    let quantifier: Condition['quantifier'];
    if (t.kind === 'ident' && (t.text === 'exists' || t.text === 'forall')) quantifier = t.text;
    else if (this.at('~') && this.at('exists', 1)) {
      this.next();
      quantifier = '~exists';
    } else throw this.expected(`the final condition: exists, ~exists or forall (or locations, filter)`);
    this.next();
    const condition = { quantifier, prop: this.prop(), pos: t.pos };
    if (this.peek().kind !== 'eof') throw this.expected('the end of the file after the condition');
    return { locations, filter, condition };
  }

  private prop(): Prop {
    const left = this.orProp();
    if (!this.accept('=>')) return left;
    return { kind: 'implies', left, right: this.prop() };
  }

  private orProp(): Prop {
    const args = [this.andProp()];
    while (this.accept('\\/')) args.push(this.andProp());
    return args.length === 1 ? args[0] : { kind: 'or', args };
  }

  private andProp(): Prop {
    const args = [this.notProp()];
    while (this.accept('/\\')) args.push(this.notProp());
    return args.length === 1 ? args[0] : { kind: 'and', args };
  }

  private notProp(): Prop {
    if (this.accept('~') || this.accept('not')) return { kind: 'not', arg: this.notProp() };
    if (this.accept('(')) {
      const p = this.prop();
      this.expect(')', `')'`);
      return p;
    }
    if (this.accept('true')) return { kind: 'true' };
    if (this.accept('false')) return { kind: 'false' };
    return this.atom();
  }

  private atom(): Prop {
    const left = this.condLoc();
    const op = this.peek();
    if (!this.accept('=') && !this.accept('==') && !this.accept('!=')) throw this.expected(`'=' in a condition atom`);
    const r = this.peek();
    let right: Extract<Prop, { kind: 'atom' }>['right'];
    if (r.kind === 'num' && this.at(':', 1)) right = this.condLoc();
    else if (this.accept('-')) right = { kind: 'num', value: -this.number(), pos: r.pos };
    else if (r.kind === 'num') right = { kind: 'num', value: this.number(), pos: r.pos };
    else if (r.kind === 'ident') right = { kind: 'loc', name: this.next().text, pos: r.pos };
    else throw this.expected('a value (a number or a location name)');
    const atom: Prop = { kind: 'atom', left, right, pos: left.pos };
    return op.text === '!=' ? { kind: 'not', arg: atom } : atom;
  }

  private condLoc(): CondLoc {
    const t = this.peek();
    if (t.kind === 'num' && this.at(':', 1)) {
      this.next();
      this.next();
      return { kind: 'reg', thread: numberValue(t), name: this.ident('a register name').text, pos: t.pos };
    }
    if (this.accept('[')) {
      const name = this.ident('a location name');
      this.expect(']', `']'`);
      return { kind: 'loc', name: name.text, pos: name.pos };
    }
    if (t.kind === 'ident') return { kind: 'loc', name: this.next().text, pos: t.pos };
    throw this.expected(`a register such as 0:r0 or a location such as x`);
  }
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'the end of the file' : `'${t.text}'`;
}

export type { Pos };
