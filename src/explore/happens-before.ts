/**
 * Per-execution happens-before bookkeeping shared by both reductions (dpor.ts, odpor.ts): each
 * thread's vector clock, per location the last write and the reads since it (a new step's clock
 * joins those it depends on), and every access in order, newest last, for finding a step's
 * dependent predecessors. Steps are positions in the execution; `nodes[d].clock` is the clock
 * recorded for step d.
 */
import type { Footprint } from '../machine/machine.js';

export class HappensBefore {
  readonly clocks: number[][] = [];
  private readonly lastWrite = new Map<number, number>();
  private readonly readsSince = new Map<number, number[]>();
  readonly history = new Map<number, Array<{ step: number; write: boolean }>>();

  /** The clock thread p's next step (footprint fp) would get: after every dependent step. */
  pending(nodes: ReadonlyArray<{ clock: number[] }>, p: number, fp: Footprint): number[] {
    const c = (this.clocks[p] ?? []).slice();
    for (const l of fp.r) {
      const w = this.lastWrite.get(l);
      if (w !== undefined) maxInto(c, nodes[w].clock);
    }
    for (const l of fp.w) {
      const w = this.lastWrite.get(l);
      if (w !== undefined) maxInto(c, nodes[w].clock);
      for (const r of this.readsSince.get(l) ?? []) maxInto(c, nodes[r].clock);
    }
    return c;
  }

  /** The clock of step d (thread p, footprint fp), recorded as done. */
  record(nodes: ReadonlyArray<{ clock: number[] }>, d: number, p: number, fp: Footprint): number[] {
    const c = this.pending(nodes, p, fp);
    for (const l of fp.r) {
      let rs = this.readsSince.get(l);
      if (!rs) this.readsSince.set(l, (rs = []));
      rs.push(d);
      this.access(l, d, false);
    }
    for (const l of fp.w) {
      this.lastWrite.set(l, d);
      this.readsSince.set(l, []);
      this.access(l, d, true);
    }
    return c;
  }

  private access(l: number, step: number, write: boolean): void {
    let h = this.history.get(l);
    if (!h) this.history.set(l, (h = []));
    const last = h[h.length - 1];
    if (last && last.step === step) last.write ||= write;
    else h.push({ step, write });
  }
}

export function maxInto(a: number[], b: number[]): void {
  for (let i = 0; i < b.length; i++) if ((b[i] ?? 0) > (a[i] ?? 0)) a[i] = b[i];
}
