/** The syntax tree of a C litmus test, as the parser builds it and the lowering reads it. */
import type { Pos } from './error.js';

export type BinaryOp = '+' | '-' | '*' | '&' | '|' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '&&' | '||';
export type UnaryOp = '!' | '-' | '~';

export type Expr =
  | { kind: 'num'; value: number; pos: Pos }
  /** A register or a parameter (a parameter holds its location's address). */
  | { kind: 'var'; name: string; pos: Pos }
  /** `*e`: a plain access to the location `e` points to. */
  | { kind: 'deref'; ptr: Expr; pos: Pos }
  | { kind: 'unary'; op: UnaryOp; arg: Expr; pos: Pos }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr; pos: Pos }
  | { kind: 'cond'; test: Expr; then: Expr; else: Expr; pos: Pos }
  /** A kernel primitive: READ_ONCE, smp_mb, atomic_add_return, spin_lock, ... */
  | { kind: 'call'; name: string; args: Expr[]; pos: Pos };

export type Stmt =
  /** `int r0;`, `int *r1 = e;` */
  | { kind: 'decl'; name: string; init?: Expr; pos: Pos }
  /** `r = e;` or `*p = e;` (a plain store) */
  | { kind: 'assign'; target: Expr; value: Expr; pos: Pos }
  | { kind: 'expr'; expr: Expr; pos: Pos }
  | { kind: 'if'; test: Expr; then: Stmt[]; else: Stmt[]; pos: Pos };

export interface Param {
  name: string;
  pos: Pos;
}

export interface ThreadAst {
  /** n of `Pn`. */
  index: number;
  params: Param[];
  body: Stmt[];
  pos: Pos;
}

/** An initial value: a number, or a location's address (`y=z;`, `int *p = &x;`). */
export type InitValue = { kind: 'num'; value: number } | { kind: 'loc'; name: string };

export type InitEntry =
  | { kind: 'loc'; name: string; value?: InitValue; pos: Pos }
  | { kind: 'reg'; thread: number; name: string; value: InitValue; pos: Pos };

/** What a condition atom names: a register of a thread (`1:r0`) or a location (`x`). */
export type CondLoc = { kind: 'reg'; thread: number; name: string; pos: Pos } | { kind: 'loc'; name: string; pos: Pos };

export type Prop =
  | { kind: 'atom'; left: CondLoc; right: CondLoc | { kind: 'num'; value: number; pos: Pos }; pos: Pos }
  | { kind: 'not'; arg: Prop }
  | { kind: 'and'; args: Prop[] }
  | { kind: 'or'; args: Prop[] }
  | { kind: 'implies'; left: Prop; right: Prop }
  | { kind: 'true' }
  | { kind: 'false' };

export type Quantifier = 'exists' | '~exists' | 'forall';

export interface Condition {
  quantifier: Quantifier;
  prop: Prop;
  pos: Pos;
}

export type Observation = 'Never' | 'Sometimes' | 'Always';

/** The `Result:` line of the header comment, as tools/memory-model's judgelitmus.sh reads it. */
export interface Expected {
  observation: Observation;
  /** `Result: Sometimes DATARACE`: LKMM must flag a data race. */
  dataRace: boolean;
}

export interface LitmusTest {
  file: string;
  name: string;
  expected?: Expected;
  init: InitEntry[];
  threads: ThreadAst[];
  /** `locations [x; 0:r1;]`: shown in every state besides the condition's. */
  locations: CondLoc[];
  filter?: Prop;
  condition: Condition;
}
