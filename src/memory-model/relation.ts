/**
 * Relation algebra over the events of one execution, as herd7's cat language uses it: sets of
 * events and binary relations, as bitsets. `n` is the number of events; ids are 0..n-1.
 * Operations return new values; nothing is mutated after construction.
 */

const WORD = 32;
const words = (n: number): number => Math.ceil(n / WORD) || 1;

/** A set of events. */
export class EventSet {
  private constructor(readonly n: number, readonly bits: Uint32Array) {}

  static empty(n: number): EventSet {
    return new EventSet(n, new Uint32Array(words(n)));
  }
  static of(n: number, pred: (id: number) => boolean): EventSet {
    const s = EventSet.empty(n);
    for (let i = 0; i < n; i++) if (pred(i)) s.bits[i >>> 5] |= 1 << (i & 31);
    return s;
  }
  has(i: number): boolean {
    return (this.bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  private zip(o: EventSet, f: (a: number, b: number) => number): EventSet {
    const r = EventSet.empty(this.n);
    for (let w = 0; w < r.bits.length; w++) r.bits[w] = f(this.bits[w], o.bits[w]);
    return r;
  }
  union(...os: EventSet[]): EventSet {
    return os.reduce<EventSet>((acc, o) => acc.zip(o, (a, b) => a | b), this);
  }
  inter(o: EventSet): EventSet {
    return this.zip(o, (a, b) => a & b);
  }
  minus(o: EventSet): EventSet {
    return this.zip(o, (a, b) => a & ~b);
  }
  complement(): EventSet {
    return EventSet.of(this.n, (i) => !this.has(i));
  }
  isEmpty(): boolean {
    return this.bits.every((w) => w === 0);
  }
  ids(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.n; i++) if (this.has(i)) out.push(i);
    return out;
  }
}

/** A binary relation on events: row i holds the successors of event i. */
export class Relation {
  private constructor(readonly n: number, readonly rows: Uint32Array[]) {}

  static empty(n: number): Relation {
    return new Relation(n, Array.from({ length: n }, () => new Uint32Array(words(n))));
  }
  static of(n: number, pred: (a: number, b: number) => boolean): Relation {
    const r = Relation.empty(n);
    for (let a = 0; a < n; a++) for (let b = 0; b < n; b++) if (pred(a, b)) r.set(a, b);
    return r;
  }
  static fromPairs(n: number, pairs: Iterable<readonly [number, number]>): Relation {
    const r = Relation.empty(n);
    for (const [a, b] of pairs) r.set(a, b);
    return r;
  }
  /** `[S]`: the identity on a set. */
  static id(s: EventSet): Relation {
    const r = Relation.empty(s.n);
    for (const i of s.ids()) r.set(i, i);
    return r;
  }
  /** `S * T`: every pair from S to T. */
  static cross(s: EventSet, t: EventSet): Relation {
    const r = Relation.empty(s.n);
    for (const a of s.ids()) r.rows[a].set(t.bits);
    return r;
  }

  private set(a: number, b: number): void {
    this.rows[a][b >>> 5] |= 1 << (b & 31);
  }
  has(a: number, b: number): boolean {
    return (this.rows[a][b >>> 5] & (1 << (b & 31))) !== 0;
  }
  private map(f: (row: Uint32Array, a: number) => Uint32Array): Relation {
    return new Relation(this.n, this.rows.map(f));
  }
  private zip(o: Relation, f: (a: number, b: number) => number): Relation {
    return this.map((row, a) => row.map((w, k) => f(w, o.rows[a][k])));
  }
  union(...os: Relation[]): Relation {
    return os.reduce<Relation>((acc, o) => acc.zip(o, (x, y) => x | y), this);
  }
  inter(o: Relation): Relation {
    return this.zip(o, (x, y) => x & y);
  }
  minus(o: Relation): Relation {
    return this.zip(o, (x, y) => x & ~y);
  }
  inverse(): Relation {
    const r = Relation.empty(this.n);
    for (const [a, b] of this.pairs()) r.set(b, a);
    return r;
  }
  /** `r ; o`: relational composition. */
  seq(o: Relation): Relation {
    return this.map((row) => {
      const out = new Uint32Array(row.length);
      for (let b = 0; b < this.n; b++) {
        if ((row[b >>> 5] & (1 << (b & 31))) === 0) continue;
        const next = o.rows[b];
        for (let k = 0; k < out.length; k++) out[k] |= next[k];
      }
      return out;
    });
  }
  /** `[S] ; r ; [T]`; either side may be omitted. */
  restrict(dom?: EventSet, ran?: EventSet): Relation {
    return this.map((row, a) => {
      if (dom && !dom.has(a)) return new Uint32Array(row.length);
      return ran ? row.map((w, k) => w & ran.bits[k]) : row.slice();
    });
  }
  /** `r+`: transitive closure (Warshall on bit rows). */
  plus(): Relation {
    const rows = this.rows.map((row) => row.slice());
    for (let k = 0; k < this.n; k++) {
      const rk = rows[k];
      for (let a = 0; a < this.n; a++) {
        if ((rows[a][k >>> 5] & (1 << (k & 31))) === 0) continue;
        const ra = rows[a];
        for (let w = 0; w < ra.length; w++) ra[w] |= rk[w];
      }
    }
    return new Relation(this.n, rows);
  }
  /** `r?`: r with the identity on every event. */
  opt(): Relation {
    return this.union(Relation.id(EventSet.of(this.n, () => true)));
  }
  /** `r*`. */
  star(): Relation {
    return this.plus().opt();
  }
  domain(): EventSet {
    return EventSet.of(this.n, (a) => this.rows[a].some((w) => w !== 0));
  }
  range(): EventSet {
    const s = EventSet.empty(this.n);
    for (const row of this.rows) for (let k = 0; k < row.length; k++) s.bits[k] |= row[k];
    return s;
  }
  isEmpty(): boolean {
    return this.rows.every((row) => row.every((w) => w === 0));
  }
  irreflexive(): boolean {
    for (let a = 0; a < this.n; a++) if (this.has(a, a)) return false;
    return true;
  }
  acyclic(): boolean {
    return this.plus().irreflexive();
  }
  pairs(): [number, number][] {
    const out: [number, number][] = [];
    for (let a = 0; a < this.n; a++) for (let b = 0; b < this.n; b++) if (this.has(a, b)) out.push([a, b]);
    return out;
  }
}
