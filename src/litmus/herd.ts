/**
 * Output as herd7 prints it (herd/top_herd.ml): the kind of the test, its final states, Ok/No,
 * the witnesses, the flags, the condition (printed as lib/constrGen.ml prints it) and the
 * observation. herd7's last line, `Hash=`, a digest of herd7's own normal form of the test, is
 * left out.
 */
import type { CondLoc, Condition, Observation, Prop, Quantifier } from './ast.js';
import type { Layout } from './lower.js';

export interface HerdReport {
  name: string;
  quantifier: Quantifier;
  /** The state lines, sorted. */
  states: string[];
  ok: boolean;
  /** Outcomes that satisfy the condition's proposition, and those that do not. */
  positive: number;
  negative: number;
  flags: string[];
  condition: string;
  observation: Observation;
  seconds: number;
}

const KIND: Record<Quantifier, string> = { exists: 'Allowed', '~exists': 'Forbidden', forall: 'Required' };

export function herdText(r: HerdReport): string {
  // herd7's Witnesses line counts in the condition's sense: for ~exists, the positives are the
  // outcomes that do not satisfy the proposition; the Observation line keeps the proposition's
  const [pos, neg] = r.quantifier === '~exists' ? [r.negative, r.positive] : [r.positive, r.negative];
  return [
    `Test ${r.name} ${KIND[r.quantifier]}`,
    `States ${r.states.length}`,
    ...r.states,
    r.ok ? 'Ok' : 'No',
    'Witnesses',
    `Positive: ${pos} Negative: ${neg}`,
    ...r.flags.map((f) => `Flag ${f}`),
    `Condition ${r.condition}`,
    `Observation ${r.name} ${r.observation} ${r.positive} ${r.negative}`,
    `Time ${r.name} ${r.seconds.toFixed(2)}`,
  ].join('\n');
}

export function observationOf(positive: number, negative: number): Observation {
  return positive === 0 ? 'Never' : negative === 0 ? 'Always' : 'Sometimes';
}

export function locName(l: CondLoc): string {
  return l.kind === 'reg' ? `${l.thread}:${l.name}` : l.name;
}

/** One state line: `0:r0=1; 1:r0=0; x=1;`. */
export function stateLine(locs: CondLoc[], values: number[], layout: Layout): string {
  return locs.map((l, i) => `${locName(l)}=${layout.show(values[i])};`).join(' ');
}

/** herd7's order of states: value by value, numbers before addresses (by name). */
export function compareStates(a: number[], b: number[], layout: Layout): number {
  for (let i = 0; i < a.length; i++) {
    const [na, nb] = [layout.name(a[i]), layout.name(b[i])];
    let c: number;
    if (na === undefined && nb === undefined) c = a[i] - b[i];
    else if (na === undefined) c = -1;
    else if (nb === undefined) c = 1;
    else c = na < nb ? -1 : na > nb ? 1 : 0;
    if (c !== 0) return c;
  }
  return 0;
}

type Level = 'top' | 'and' | 'or' | 'implies';

/** lib/constrGen.ml's is_paren: which sub-propositions need parentheses under which. */
function paren(above: Level, here: Level, s: string): string {
  const need =
    above === 'top' ? false
    : above === 'implies' ? here !== 'implies'
    : above === 'and' ? here !== 'and'
    : here === 'implies';
  return need ? `(${s})` : s;
}

export function showProp(p: Prop, above: Level = 'top'): string {
  switch (p.kind) {
    case 'atom': {
      const right = p.right.kind === 'num' ? String(p.right.value) : locName(p.right);
      return `${locName(p.left)}=${right}`;
    }
    case 'not':
      return `not (${showProp(p.arg)})`;
    case 'and':
      return paren(above, 'and', p.args.map((a) => showProp(a, 'and')).join(' /\\ '));
    case 'or':
      return paren(above, 'or', p.args.map((a) => showProp(a, 'or')).join(' \\/ '));
    case 'implies':
      return paren(above, 'implies', `${showProp(p.left, 'implies')} => ${showProp(p.right, 'implies')}`);
    case 'true':
      return 'true';
    case 'false':
      return 'false';
  }
}

export function showCondition(c: Condition): string {
  return `${c.quantifier} (${showProp(c.prop)})`;
}
