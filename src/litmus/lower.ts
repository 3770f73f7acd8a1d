/**
 * From a parsed litmus test to an MmProgram: each location gets an address, each thread becomes a
 * generator that interprets its statements, yields one MmOp per memory event and tracks the
 * syntactic dependencies as herd7 does. A value carries the set of reads it came from: an op's
 * address expression gives its `addr` deps, its value operands its `data` deps, and once an `if`
 * has tested a value, every later op of the thread has that value's reads in `ctrl` (herd7's ctrl
 * reaches every po-later event, not only the branch taken).
 */
import type { MmOp, MmProgram, OpDeps, Registers } from '../memory-model/ops.js';
import type { CondLoc, Expr, InitValue, LitmusTest, Prop, Stmt, ThreadAst } from './ast.js';
import { LitmusError, LitmusRuntimeError, type Pos } from './error.js';
import { type ArgKind, PRIMITIVES, type PrimSpec } from './primitives.js';

/**
 * Locations are numbered from ADDR_BASE, far above the small integers tests use, so that a value
 * that is an address prints back as its location's name (herd7 knows from the C types instead).
 */
export const ADDR_BASE = 0x100000;

/** Location names and their addresses. */
export class Layout {
  private readonly byName = new Map<string, number>();
  private readonly byAddr = new Map<number, string>();

  address(name: string): number {
    let a = this.byName.get(name);
    if (a === undefined) {
      a = ADDR_BASE + this.byName.size;
      this.byName.set(name, a);
      this.byAddr.set(a, name);
    }
    return a;
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  name(addr: number): string | undefined {
    return this.byAddr.get(addr);
  }
  /** A value as herd7 prints it: a location's name for its address, else the number. */
  show(v: number): string {
    return this.byAddr.get(v) ?? String(v);
  }
}

export interface Lowered {
  program: MmProgram;
  layout: Layout;
  /** Per thread, the registers it returns (its declared locals and those the init block sets). */
  registers: Array<Set<string>>;
}

/** A value and the reads (yield indices of the thread's ops) it depends on. */
interface Val {
  v: number;
  deps: readonly number[];
}

const NONE: readonly number[] = [];

function union(...sets: ReadonlyArray<readonly number[]>): readonly number[] {
  const out = new Set<number>();
  for (const s of sets) for (const x of s) out.add(x);
  return out.size === 0 ? NONE : [...out].sort((a, b) => a - b);
}

export function lower(test: LitmusTest): Lowered {
  const layout = new Layout();
  const init = new Map<number, number>();
  const regInit = test.threads.map(() => new Map<string, number>());
  const initValue = (v: InitValue): number => (v.kind === 'num' ? v.value : layout.address(v.name));
  for (const e of test.init) {
    if (e.kind === 'loc') {
      const a = layout.address(e.name);
      if (e.value) init.set(a, initValue(e.value));
    } else {
      if (e.thread >= test.threads.length) throw new LitmusError(test.file, e.pos, `expected a thread number below ${test.threads.length}, not ${e.thread}`);
      regInit[e.thread].set(e.name, initValue(e.value));
    }
  }
  for (const t of test.threads) for (const p of t.params) layout.address(p.name);
  const registers = test.threads.map((t) => checkThread(test.file, t, regInit[t.index]));
  for (const l of test.locations) checkLoc(test, l, registers, layout);
  if (test.filter) checkProp(test, test.filter, registers, layout);
  checkProp(test, test.condition.prop, registers, layout);
  const threads = test.threads.map((t) => () => runThread(test.file, t, layout, regInit[t.index], registers[t.index]));
  return { program: { threads, init }, layout, registers };
}

// ---- static checks: every name declared, every call known and well formed ----

function checkThread(file: string, t: ThreadAst, regInit: Map<string, number>): Set<string> {
  const locals = new Set<string>(regInit.keys());
  const visible = new Set<string>([...t.params.map((p) => p.name), ...regInit.keys()]);
  const stmts = (ss: Stmt[]): void => {
    for (const s of ss) {
      switch (s.kind) {
        case 'decl':
          if (s.init) expr(s.init, true);
          locals.add(s.name);
          visible.add(s.name);
          break;
        case 'assign':
          if (s.target.kind === 'var') use(s.target.name, s.target.pos);
          else expr(s.target, true);
          expr(s.value, true);
          break;
        case 'expr':
          expr(s.expr, false);
          break;
        case 'if':
          expr(s.test, true);
          stmts(s.then);
          stmts(s.else);
          break;
      }
    }
  };
  const use = (name: string, pos: Pos): void => {
    if (!visible.has(name)) throw new LitmusError(file, pos, `expected a register or a parameter of P${t.index}, not '${name}' (undeclared)`);
  };
  const expr = (e: Expr, value: boolean): void => {
    switch (e.kind) {
      case 'num':
        return;
      case 'var':
        return use(e.name, e.pos);
      case 'deref':
        return expr(e.ptr, true);
      case 'unary':
        return expr(e.arg, true);
      case 'binary':
        expr(e.left, true);
        return expr(e.right, true);
      case 'cond':
        expr(e.test, true);
        expr(e.then, true);
        return expr(e.else, true);
      case 'call': {
        const spec = PRIMITIVES.get(e.name);
        if (!spec) {
          const hint = e.name === 'smp_mb__after_srcu_read_unlock' ? ' (no fence tag for it in the MmOp protocol yet)' : '';
          throw new LitmusError(file, e.pos, `unsupported primitive '${e.name}'${hint}: expected a kernel primitive of linux-kernel.def`);
        }
        if (value && !spec.returns) throw new LitmusError(file, e.pos, `${e.name}() has no value: expected it as a statement`);
        if (e.args.length !== spec.args.length)
          throw new LitmusError(file, e.pos, `${e.name} takes ${spec.args.length} argument${spec.args.length === 1 ? '' : 's'}, not ${e.args.length}`);
        e.args.forEach((a, i) => {
          if (spec.args[i] === 'lvalue' && a.kind !== 'deref') throw new LitmusError(file, a.pos, `expected *pointer as ${e.name}'s argument ${i + 1} (an lvalue, as in ${e.name}(*x${spec.args.length > 1 ? ', 1' : ''}))`);
          expr(a, true);
        });
        return;
      }
    }
  };
  stmts(t.body);
  return locals;
}

function checkLoc(test: LitmusTest, l: CondLoc, registers: Array<Set<string>>, layout: Layout): void {
  if (l.kind === 'loc') {
    layout.address(l.name);
    return;
  }
  if (l.thread >= test.threads.length) throw new LitmusError(test.file, l.pos, `expected a thread number below ${test.threads.length}, not ${l.thread}`);
  if (!registers[l.thread].has(l.name)) throw new LitmusError(test.file, l.pos, `expected a register of P${l.thread}, not '${l.name}'`);
}

function checkProp(test: LitmusTest, p: Prop, registers: Array<Set<string>>, layout: Layout): void {
  switch (p.kind) {
    case 'atom':
      checkLoc(test, p.left, registers, layout);
      if (p.right.kind !== 'num') checkLoc(test, p.right, registers, layout);
      return;
    case 'not':
      return checkProp(test, p.arg, registers, layout);
    case 'and':
    case 'or':
      for (const a of p.args) checkProp(test, a, registers, layout);
      return;
    case 'implies':
      checkProp(test, p.left, registers, layout);
      return checkProp(test, p.right, registers, layout);
    default:
      return;
  }
}

// ---- the interpreter: one run of a thread, yielding its ops ----

type Run = Generator<MmOp, Val, number>;

class ThreadState {
  readonly regs = new Map<string, Val>();
  /** Reads that an `if` has tested so far: every later op depends on them by control. */
  ctrl: readonly number[] = NONE;
  /** Yield index of the next op. */
  next = 0;
  constructor(
    readonly file: string,
    readonly thread: number,
    readonly layout: Layout,
  ) {}

  deps(addr: readonly number[], data: readonly number[]): OpDeps {
    return { addr, data, ctrl: this.ctrl };
  }

  /** Yield an op; the value sent back depends on this op's read. */
  *emit(op: MmOp): Run {
    const index = this.next++;
    const v: number = yield op;
    return { v: v ?? 0, deps: [index] };
  }

  location(p: Val, pos: Pos): number {
    if (this.layout.name(p.v) === undefined)
      throw new LitmusRuntimeError(`${this.file}:${pos.line}:${pos.col}: P${this.thread} dereferences ${p.v}, which is not the address of a location`);
    return p.v;
  }
}

function* runThread(file: string, t: ThreadAst, layout: Layout, regInit: Map<string, number>, locals: Set<string>): Generator<MmOp, Registers, number> {
  const st = new ThreadState(file, t.index, layout);
  for (const p of t.params) st.regs.set(p.name, { v: layout.address(p.name), deps: NONE });
  for (const [name, v] of regInit) st.regs.set(name, { v, deps: NONE });
  yield* stmts(st, t.body, regInit);
  const out: Registers = {};
  for (const name of locals) out[name] = st.regs.get(name)?.v ?? 0;
  return out;
}

function* stmts(st: ThreadState, ss: Stmt[], regInit: Map<string, number>): Generator<MmOp, void, number> {
  for (const s of ss) {
    switch (s.kind) {
      case 'decl':
        st.regs.set(s.name, s.init ? yield* evaluate(st, s.init) : { v: regInit.get(s.name) ?? 0, deps: NONE });
        break;
      case 'assign':
        if (s.target.kind === 'var') st.regs.set(s.target.name, yield* evaluate(st, s.value));
        else if (s.target.kind === 'deref') {
          const p = yield* evaluate(st, s.target.ptr);
          const v = yield* evaluate(st, s.value);
          yield* st.emit({ op: 'store', loc: st.location(p, s.target.pos), value: v.v, tag: 'plain', deps: st.deps(p.deps, v.deps) });
        }
        break;
      case 'expr':
        yield* evaluate(st, s.expr);
        break;
      case 'if': {
        const c = yield* evaluate(st, s.test);
        st.ctrl = union(st.ctrl, c.deps);
        yield* stmts(st, c.v !== 0 ? s.then : s.else, regInit);
        break;
      }
    }
  }
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => (a + b) | 0,
  '-': (a, b) => (a - b) | 0,
  '*': (a, b) => Math.imul(a, b),
  '&': (a, b) => a & b,
  '|': (a, b) => a | b,
  '^': (a, b) => a ^ b,
  '==': (a, b) => +(a === b),
  '!=': (a, b) => +(a !== b),
  '<': (a, b) => +(a < b),
  '<=': (a, b) => +(a <= b),
  '>': (a, b) => +(a > b),
  '>=': (a, b) => +(a >= b),
};

function* evaluate(st: ThreadState, e: Expr): Run {
  switch (e.kind) {
    case 'num':
      return { v: e.value, deps: NONE };
    case 'var':
      return st.regs.get(e.name) ?? { v: 0, deps: NONE };
    case 'deref': {
      const p = yield* evaluate(st, e.ptr);
      return yield* st.emit({ op: 'load', loc: st.location(p, e.pos), tag: 'plain', deps: st.deps(p.deps, NONE) });
    }
    case 'unary': {
      const a = yield* evaluate(st, e.arg);
      const v = e.op === '!' ? +(a.v === 0) : e.op === '-' ? -a.v | 0 : ~a.v;
      return { v, deps: a.deps };
    }
    case 'binary': {
      const a = yield* evaluate(st, e.left);
      if (e.op === '&&' || e.op === '||') {
        // C's short circuit: the right side runs only when the left does not decide
        if ((e.op === '&&') === (a.v === 0)) return { v: e.op === '||' ? 1 : 0, deps: a.deps };
        const b = yield* evaluate(st, e.right);
        return { v: +(b.v !== 0), deps: union(a.deps, b.deps) };
      }
      const b = yield* evaluate(st, e.right);
      return { v: BINARY[e.op](a.v, b.v), deps: union(a.deps, b.deps) };
    }
    case 'cond': {
      const c = yield* evaluate(st, e.test);
      const r = yield* evaluate(st, c.v !== 0 ? e.then : e.else);
      return { v: r.v, deps: union(c.deps, r.deps) };
    }
    case 'call':
      return yield* call(st, e, PRIMITIVES.get(e.name)!);
  }
}

/** Evaluate the arguments left to right: an lvalue `*p` and a pointer give an address, a value its value. */
function* args(st: ThreadState, e: Extract<Expr, { kind: 'call' }>, kinds: ArgKind[]): Generator<MmOp, Val[], number> {
  const out: Val[] = [];
  for (const [i, a] of e.args.entries()) out.push(yield* evaluate(st, kinds[i] === 'lvalue' && a.kind === 'deref' ? a.ptr : a));
  return out;
}

function* call(st: ThreadState, e: Extract<Expr, { kind: 'call' }>, spec: PrimSpec): Run {
  const a = yield* args(st, e, spec.args);
  const loc = (i: number): number => st.location(a[i], e.args[i].pos);
  const p = spec.prim;
  switch (p.kind) {
    case 'load':
      return yield* st.emit({ op: 'load', loc: loc(0), tag: p.tag, deps: st.deps(a[0].deps, NONE) });
    case 'store': {
      yield* st.emit({ op: 'store', loc: loc(0), value: a[1].v, tag: p.tag, deps: st.deps(a[0].deps, a[1].deps) });
      if (p.mb) yield* st.emit({ op: 'fence', tag: 'mb', deps: st.deps(NONE, NONE) });
      return { v: 0, deps: NONE };
    }
    case 'fence':
      yield* st.emit({ op: 'fence', tag: p.tag, deps: st.deps(NONE, NONE) });
      return { v: 0, deps: NONE };
    case 'xchg': {
      const v = a[1].v;
      return yield* st.emit({ op: 'rmw', loc: loc(0), tag: p.tag, update: () => v, deps: st.deps(a[0].deps, a[1].deps) });
    }
    case 'cmpxchg': {
      const [expect, v] = [a[1].v, a[2].v];
      return yield* st.emit({ op: 'rmw', loc: loc(0), tag: p.tag, update: (old) => (old === expect ? v : undefined), deps: st.deps(a[0].deps, union(a[1].deps, a[2].deps)) });
    }
    case 'atomic': {
      const ptr = p.amount === 'arg' ? 1 : 0;
      const amount = p.amount === 'arg' ? a[0] : { v: p.amount, deps: NONE };
      const delta = p.op === '+' ? amount.v : -amount.v;
      const old = yield* st.emit({ op: 'rmw', loc: loc(ptr), tag: p.tag, update: (o) => (o + delta) | 0, deps: st.deps(a[ptr].deps, amount.deps) });
      const now = (old.v + delta) | 0;
      const deps = union(old.deps, amount.deps);
      switch (p.result) {
        case 'none':
          return { v: 0, deps: NONE };
        case 'old':
          return old;
        case 'new':
          return { v: now, deps };
        case 'zero':
          return { v: +(now === 0), deps };
        case 'negative':
          return { v: +(now < 0), deps };
      }
      break;
    }
    case 'srcu-unlock':
      yield* st.emit({ op: 'srcu-unlock', loc: loc(0), value: a[1].v, deps: st.deps(a[0].deps, a[1].deps) });
      return { v: 0, deps: NONE };
    case 'lock':
    case 'unlock':
    case 'sync-srcu': {
      yield* st.emit({ op: p.kind, loc: loc(0), deps: st.deps(a[0].deps, NONE) });
      return { v: 0, deps: NONE };
    }
    case 'trylock':
    case 'islocked':
    case 'srcu-lock':
      return yield* st.emit({ op: p.kind, loc: loc(0), deps: st.deps(a[0].deps, NONE) });
  }
  throw new Error(`unhandled primitive ${e.name}`);
}
