/**
 * The relations and event sets herd7 itself provides to a cat model (po, loc, int/ext, rf, co, fr,
 * rmw, addr/data/ctrl, fencerel, the tag sets), computed from one `Execution`. linux-kernel.cat,
 * .bell and lock.cat are written on top of these; see bell.ts, lock.ts, cat.ts.
 *
 * Relations are computed on first use and kept (an axiom check can stop at the first failure).
 */
import type { EventTag, Execution, MemEvent } from '../execution.js';
import { EventSet, Relation } from '../relation.js';

export class Herd {
  readonly n: number;
  readonly ev: readonly MemEvent[];
  private readonly cache = new Map<string, EventSet | Relation>();

  constructor(readonly x: Execution) {
    this.ev = x.events;
    this.n = x.events.length;
  }

  protected memo<T extends EventSet | Relation>(key: string, f: () => T): T {
    let v = this.cache.get(key);
    if (v === undefined) {
      v = f();
      this.cache.set(key, v);
    }
    return v as T;
  }

  set(pred: (e: MemEvent) => boolean): EventSet {
    return EventSet.of(this.n, (i) => pred(this.ev[i]));
  }
  tagged(...tags: EventTag[]): EventSet {
    return this.set((e) => tags.includes(e.tag));
  }
  rel(pred: (a: MemEvent, b: MemEvent) => boolean): Relation {
    return Relation.of(this.n, (a, b) => pred(this.ev[a], this.ev[b]));
  }
  /** The universal set `_`. */
  get all(): EventSet {
    return this.memo('_', () => EventSet.of(this.n, () => true));
  }

  // --- event sets -------------------------------------------------------------------------
  get R(): EventSet {
    return this.memo('R', () => this.set((e) => e.kind === 'R'));
  }
  get W(): EventSet {
    return this.memo('W', () => this.set((e) => e.kind === 'W'));
  }
  get M(): EventSet {
    return this.memo('M', () => this.R.union(this.W));
  }
  get F(): EventSet {
    return this.memo('F', () => this.set((e) => e.kind === 'F'));
  }
  get IW(): EventSet {
    return this.memo('IW', () => this.tagged('IW'));
  }
  /** Final writes: the coherence-last write of each location. */
  get FW(): EventSet {
    return this.memo('FW', () => {
      const last = new Set([...this.x.co.values()].map((ws) => ws[ws.length - 1]));
      return EventSet.of(this.n, (i) => last.has(i));
    });
  }

  // --- herd7's base relations ---------------------------------------------------------------
  /** Program order: same thread, earlier index. Initial writes are in no thread. */
  get po(): Relation {
    return this.memo('po', () => this.rel((a, b) => a.thread >= 0 && a.thread === b.thread && a.index < b.index));
  }
  /** Same thread (an equivalence, reflexive); initial writes are external to everything. */
  get int(): Relation {
    return this.memo('int', () => this.rel((a, b) => a.thread >= 0 && a.thread === b.thread));
  }
  get ext(): Relation {
    return this.memo('ext', () => this.rel((a, b) => !(a.thread >= 0 && a.thread === b.thread)));
  }
  get loc(): Relation {
    return this.memo('loc', () => this.rel((a, b) => a.loc !== undefined && a.loc === b.loc));
  }
  get poLoc(): Relation {
    return this.memo('po-loc', () => this.po.inter(this.loc));
  }
  get rf(): Relation {
    return this.memo('rf', () => Relation.fromPairs(this.n, [...this.x.rf].map(([r, w]) => [w, r] as const)));
  }
  /** Coherence order, transitive: every earlier write of a location before every later one. */
  get co(): Relation {
    return this.memo('co', () => {
      const pairs: [number, number][] = [];
      for (const ws of this.x.co.values()) for (let i = 0; i < ws.length; i++) for (let j = i + 1; j < ws.length; j++) pairs.push([ws[i], ws[j]]);
      return Relation.fromPairs(this.n, pairs);
    });
  }
  /** From-read: a read before every write coherence-after the one it read from. */
  get fr(): Relation {
    return this.memo('fr', () => this.rf.inverse().seq(this.co));
  }
  get rfe(): Relation {
    return this.memo('rfe', () => this.rf.inter(this.ext));
  }
  get rfi(): Relation {
    return this.memo('rfi', () => this.rf.inter(this.int));
  }
  get coe(): Relation {
    return this.memo('coe', () => this.co.inter(this.ext));
  }
  get fre(): Relation {
    return this.memo('fre', () => this.fr.inter(this.ext));
  }
  /** Read-modify-write pairs, read to write (lock.cat's lk-rmw included). */
  get rmw(): Relation {
    return this.memo('rmw', () => Relation.fromPairs(this.n, this.x.rmw));
  }
  /** Syntactic dependencies as herd7 computes them (bell.ts extends them through plain stores). */
  get addr0(): Relation {
    return this.memo('addr0', () => this.deps('addr'));
  }
  get data0(): Relation {
    return this.memo('data0', () => this.deps('data'));
  }
  get ctrl0(): Relation {
    return this.memo('ctrl0', () => this.deps('ctrl'));
  }
  private deps(kind: 'addr' | 'data' | 'ctrl'): Relation {
    return Relation.fromPairs(this.n, this.ev.flatMap((e) => e[kind].map((src) => [src, e.id] as const)));
  }
  /** `fencerel(S) = (po & (_ * S)) ; po`: pairs of events separated in program order by an S. */
  fencerel(s: EventSet): Relation {
    return this.po.restrict(undefined, s).seq(this.po);
  }
}
