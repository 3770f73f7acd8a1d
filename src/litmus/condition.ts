/**
 * The final condition on one outcome: `exists`, `~exists`, `forall`, `filter` propositions with
 * `/\`, `\/`, `~` and `=>`, atoms on registers (`1:r0=1`) and locations (`x=2`, `1:r0=x`: the
 * address of x), and the locations a state shows (the condition's and `locations [...]`).
 */
import type { Outcome } from '../memory-model/ops.js';
import type { CondLoc, LitmusTest, Prop } from './ast.js';
import type { Layout } from './lower.js';

/** The final value of a register or a location in an outcome (0 when never written). */
export function valueOf(l: CondLoc, o: Outcome, layout: Layout): number {
  if (l.kind === 'reg') return o.registers[l.thread]?.[l.name] ?? 0;
  return o.memory.get(layout.address(l.name)) ?? 0;
}

export function holds(p: Prop, o: Outcome, layout: Layout): boolean {
  switch (p.kind) {
    case 'atom': {
      const right = p.right.kind === 'num' ? p.right.value : p.right.kind === 'loc' ? layout.address(p.right.name) : valueOf(p.right, o, layout);
      return valueOf(p.left, o, layout) === right;
    }
    case 'not':
      return !holds(p.arg, o, layout);
    case 'and':
      return p.args.every((a) => holds(a, o, layout));
    case 'or':
      return p.args.some((a) => holds(a, o, layout));
    case 'implies':
      return !holds(p.left, o, layout) || holds(p.right, o, layout);
    case 'true':
      return true;
    case 'false':
      return false;
  }
}

/** Whether the test's condition holds, given how many outcomes satisfy its proposition and how many do not. */
export function conditionOk(test: LitmusTest, positive: number, negative: number): boolean {
  switch (test.condition.quantifier) {
    case 'exists':
      return positive > 0;
    case '~exists':
      return positive === 0;
    case 'forall':
      return negative === 0;
  }
}

/** The registers and locations a state shows, as herd7 orders them: registers by thread and name, then locations by name. */
export function shownLocations(test: LitmusTest): CondLoc[] {
  const seen = new Map<string, CondLoc>();
  const add = (l: CondLoc): void => {
    const key = l.kind === 'reg' ? `${l.thread}:${l.name}` : l.name;
    if (!seen.has(key)) seen.set(key, l);
  };
  const walk = (p: Prop): void => {
    if (p.kind === 'atom') {
      add(p.left);
      if (p.right.kind === 'reg') add(p.right);
    } else if (p.kind === 'not') walk(p.arg);
    else if (p.kind === 'and' || p.kind === 'or') p.args.forEach(walk);
    else if (p.kind === 'implies') {
      walk(p.left);
      walk(p.right);
    }
  };
  test.locations.forEach(add);
  walk(test.condition.prop);
  return [...seen.values()].sort(compareLocs);
}

function compareLocs(a: CondLoc, b: CondLoc): number {
  if (a.kind === 'reg' && b.kind === 'reg') return a.thread - b.thread || cmp(a.name, b.name);
  if (a.kind === 'reg') return -1;
  if (b.kind === 'reg') return 1;
  return cmp(a.name, b.name);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
