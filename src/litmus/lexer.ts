/**
 * The lexer of C litmus tests (herd7's format): the `C <name>` line, then C tokens, the
 * condition's `/\` and `\/`, and three kinds of comment: `//`, `/* *\/` and OCaml's `(* *)`,
 * which litmus files use for their header (`Result: Never`).
 */
import { LitmusError, type Pos } from './error.js';

export type TokenKind = 'ident' | 'num' | 'punct' | 'eof';

export interface Token {
  kind: TokenKind;
  text: string;
  pos: Pos;
}

export interface Comment {
  text: string;
  pos: Pos;
}

/** Longest first, so that `/\` is not `/` then `\`. */
const PUNCT = [
  '/\\', '\\/', '==', '!=', '<=', '>=', '&&', '||', '=>', '<<', '>>', '->', '++', '--',
  '{', '}', '(', ')', '[', ']', ';', ',', '=', '+', '-', '*', '/', '%', '&', '|', '^', '!', '~', '<', '>', '?', ':', '.',
];

/** A cursor over the text that knows its line and column. */
class Cursor {
  at = 0;
  line = 1;
  col = 1;
  constructor(readonly text: string) {}
  get pos(): Pos {
    return { line: this.line, col: this.col };
  }
  peek(k = 0): string {
    return this.text[this.at + k] ?? '';
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.at);
  }
  advance(n = 1): void {
    for (let i = 0; i < n && this.at < this.text.length; i++) {
      if (this.text[this.at++] === '\n') {
        this.line++;
        this.col = 1;
      } else this.col++;
    }
  }
}

export interface Lexed {
  /** The architecture word of the first line (`C`). */
  arch: Token;
  /** The test's name: the run of non-blank characters after it (names have `+`, `.`, `-`). */
  name: Token;
  tokens: Token[];
  comments: Comment[];
}

/** Split a litmus file into its header, its tokens (ending with one `eof`) and its comments. */
export function lex(file: string, text: string): Lexed {
  const c = new Cursor(text);
  const comments: Comment[] = [];
  let depth = 0; // brace depth: `(*` inside a body is C (`(*x)`), unless a blank follows it
  const skip = (): void => {
    for (;;) {
      const ch = c.peek();
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n' || ch === '\f' || ch === '\v') c.advance();
      else if (c.startsWith('//')) {
        const pos = c.pos;
        const start = c.at;
        while (c.peek() !== '' && c.peek() !== '\n') c.advance();
        comments.push({ text: text.slice(start + 2, c.at), pos });
      } else if (c.startsWith('/*')) comments.push(block(c, file, '/*', '*/'));
      else if (c.startsWith('(*') && (depth === 0 || /[\s*]/.test(c.peek(2)))) comments.push(block(c, file, '(*', '*)'));
      else return;
    }
  };
  skip();
  const arch = word(c, /[A-Za-z0-9_]/);
  if (!arch) throw new LitmusError(file, c.pos, `expected the test's first line, 'C <name>'`);
  if (arch.text !== 'C') throw new LitmusError(file, arch.pos, `expected 'C' (a C litmus test), not '${arch.text}'`);
  while (c.peek() === ' ' || c.peek() === '\t') c.advance();
  const name = word(c, /\S/);
  if (!name) throw new LitmusError(file, c.pos, `expected the test's name after 'C'`);
  const tokens: Token[] = [];
  for (;;) {
    skip();
    const pos = c.pos;
    const ch = c.peek();
    if (ch === '') {
      tokens.push({ kind: 'eof', text: 'end of file', pos });
      return { arch, name, tokens, comments };
    }
    if (/[A-Za-z_]/.test(ch)) tokens.push({ ...word(c, /[A-Za-z0-9_]/)!, kind: 'ident' });
    else if (/[0-9]/.test(ch)) {
      const t = word(c, /[0-9A-Za-z_]/)!;
      if (!/^(0[xX][0-9a-fA-F]+|[0-9]+)[uUlL]*$/.test(t.text)) throw new LitmusError(file, pos, `expected a number, not '${t.text}'`);
      tokens.push({ ...t, kind: 'num' });
    } else {
      const p = PUNCT.find((s) => c.startsWith(s));
      if (!p) throw new LitmusError(file, pos, `unexpected character '${ch}'`);
      if (p === '{') depth++;
      if (p === '}') depth = Math.max(0, depth - 1);
      c.advance(p.length);
      tokens.push({ kind: 'punct', text: p, pos });
    }
  }
}

function word(c: Cursor, re: RegExp): Token | null {
  const pos = c.pos;
  const start = c.at;
  while (c.peek() !== '' && re.test(c.peek())) c.advance();
  return c.at === start ? null : { kind: 'ident', text: c.text.slice(start, c.at), pos };
}

/** A block comment; `(* *)` nests, as in OCaml (herd7's lexer). */
function block(c: Cursor, file: string, open: string, close: string): Comment {
  const pos = c.pos;
  c.advance(2);
  const start = c.at;
  let nest = 1;
  for (;;) {
    if (c.peek() === '') throw new LitmusError(file, pos, `unterminated comment: expected '${close}'`);
    if (c.startsWith(close)) {
      if (--nest === 0) {
        const text = c.text.slice(start, c.at);
        c.advance(2);
        return { text, pos };
      }
      c.advance(2);
    } else if (open === '(*' && c.startsWith(open)) {
      nest++;
      c.advance(2);
    } else c.advance();
  }
}

/** The value of a number token (decimal or hex, C suffixes dropped). */
export function numberValue(t: Token): number {
  return Number(t.text.replace(/[uUlL]+$/, ''));
}
