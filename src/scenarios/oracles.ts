/**
 * User-defined properties: a final-state oracle a scenario names in `oracles: [name]`, checked
 * after every complete execution, after the built-in oracles (src/explore/oracles.ts). Its
 * violation is reported under the oracle's name, with the interleaving that breaks it:
 *
 *   defineOracle('page-still-mapped', (s) =>
 *     s.translate(s.region('A').start) < 0 ? 'A is no longer mapped' : null);
 *
 * (WARN_ON / VM_BUG_ON inside a path, src/kernel/kernel.ts, are the in-path counterpart.)
 */
import { type Kernel, PAGE, Violation, folioOf, translate } from '../kernel/index.js';
import type { Env, Region } from './paths.js';

/** What an oracle reads: the kernel after the execution, and the initial layout's regions.
 * Reading it is not a step of the model. */
export class FinalState {
  constructor(
    readonly kernel: Kernel,
    private readonly env: Env,
  ) {}

  /** The regions of the initial layout (`map`), in order. */
  get regions(): readonly Region[] {
    return this.env.regions;
  }

  /** The region named `name` in the layout (`name: A`). */
  region(name: string): Region {
    const r = this.env.regions.find((x) => x.name === name);
    if (!r) throw new Error(`no region named '${name}' (named: ${this.env.regions.flatMap((x) => x.name ?? []).join(', ') || 'none'})`);
    return r;
  }

  /** The page mapped at `addr` now (a software walk of the mm's tables), or -1. */
  translate(addr: number): number {
    return translate(this.kernel, addr);
  }

  /** struct page fields of `pfn`'s folio (refcount, mapcount and pincount live in the head). */
  page(pfn: number): { folio: number; refcount: number; mapcount: number; pincount: number; flags: number; free: boolean } {
    const k = this.kernel;
    const mem = k.machine.mem;
    const folio = folioOf(k, pfn);
    const field = (f: keyof typeof PAGE) => mem.words[k.memmap.field(folio, f)] | 0;
    return {
      folio,
      refcount: field('_refcount'),
      mapcount: field('_mapcount'),
      pincount: field('_pincount'),
      flags: mem.words[k.memmap.field(pfn, 'flags')],
      free: mem.use[pfn].kind === 'free',
    };
  }

  /** A word of the machine's memory (a kernel variable a path stored to). */
  word(addr: number): number {
    return this.kernel.machine.mem.words[addr];
  }

  /** The value of the kernel word named `name` (kernel_word(k, name) in a layout or setup). */
  variable(name: string): number {
    for (const [addr, n] of this.kernel.names) if (n === name) return this.word(addr);
    throw new Error(`no kernel word named '${name}' (make it with kernel_word in a setup)`);
  }
}

/** A violation's message, or a Violation (reported under its own property), or null: holds. */
export type OracleResult = Violation | string | null;

export interface OracleDef {
  name: string;
  check(state: FinalState): OracleResult;
}

export const ORACLES = new Map<string, OracleDef>();

/** Register a final-state property; scenarios name it in `oracles`. */
export function defineOracle(name: string, check: (state: FinalState) => OracleResult): OracleDef {
  if (!/^[A-Za-z0-9][\w.-]*$/.test(name)) throw new Error(`oracle name '${name}': use letters, digits, '.', '_' and '-'`);
  if (ORACLES.has(name)) throw new Error(`oracle '${name}' is already defined`);
  const def = { name, check };
  ORACLES.set(name, def);
  return def;
}

/** The scenario's oracles over a booted kernel: the first violated one, or null. */
export function userOracles(defs: OracleDef[], k: Kernel, env: Env): () => Violation | null {
  return () => {
    const state = new FinalState(k, env);
    for (const d of defs) {
      let r: OracleResult;
      try {
        r = d.check(state);
      } catch (err) {
        throw new Error(`oracle '${d.name}' threw: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (r === null) continue;
      return typeof r === 'string' ? new Violation(d.name, r) : r;
    }
    return null;
  };
}
