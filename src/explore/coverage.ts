/**
 * What a proof covered (DESIGN §4: a proof that explores no race proves nothing): the pairs of
 * conflicting accesses from different CPUs, and in which orders the search ran them. A step is
 * named by its thread's stable key and its index within the thread (`cpu0#12`,
 * `cpu1/7.0#2` for an IPI handler), so the same access is recognised across executions. Two
 * steps conflict when they touch a common word and one of them writes it (the explorer's own
 * dependency). A pair is named by the word and its two steps (a step index may touch another word
 * in another execution, and two different conflicts must not pass for one seen both ways). A
 * pair seen in both orders is a race the search decided both ways; a verified
 * verdict with none is vacuous: no interleaving of conflicting accesses was ever tried.
 */
import type { Execution } from './runtime.js';

/** pair key -> orders seen: bit 1, its first-named step first; bit 2, the other way round */
export type RacePairs = Map<string, number>;

/** Fold one complete execution's conflicting cross-CPU pairs into `pairs`. */
export function addRacePairs(pairs: RacePairs, exec: Execution): void {
  const byLoc = new Map<number, number[]>();
  exec.accesses.forEach((a, i) => {
    for (const loc of a.fp.r) push(byLoc, loc, i);
    for (const loc of a.fp.w) push(byLoc, loc, i);
  });
  const names: Array<string | undefined> = [];
  const name = (i: number) => (names[i] ??= `${exec.accesses[i].thread.key}#${exec.accesses[i].step}`);
  for (const [loc, list] of byLoc) {
    if (!crossCpuWrite(exec, loc, list)) continue; // e.g. a CPU's interrupt-context word
    for (let x = 0; x < list.length; x++) {
      const a = exec.accesses[list[x]];
      for (let y = x + 1; y < list.length; y++) {
        const b = exec.accesses[list[y]];
        if (a.cpu === b.cpu || list[x] === list[y] || !(a.fp.w.includes(loc) || b.fp.w.includes(loc))) continue;
        const [first, second] = [name(list[x]), name(list[y])];
        const key = first < second ? `${loc} ${first} ${second}` : `${loc} ${second} ${first}`;
        pairs.set(key, (pairs.get(key) ?? 0) | (first < second ? 1 : 2));
      }
    }
  }
}

/** Some access of the list writes, and not all of them are on one CPU. */
function crossCpuWrite(exec: Execution, loc: number, list: number[]): boolean {
  const cpu = exec.accesses[list[0]].cpu;
  return list.some((i) => exec.accesses[i].cpu !== cpu) && list.some((i) => exec.accesses[i].fp.w.includes(loc));
}

function push(m: Map<number, number[]>, loc: number, i: number): void {
  const l = m.get(loc);
  if (!l) m.set(loc, [i]);
  else if (l[l.length - 1] !== i) l.push(i); // a step reading and writing a word counts once
}

export function mergeRacePairs(into: RacePairs, from: RacePairs | undefined): void {
  if (from) for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) | v);
}

/** How many pairs were seen, and how many of those in both orders. */
export function raceCoverage(pairs: RacePairs | undefined): { pairs: number; bothOrders: number } {
  let both = 0;
  for (const v of pairs?.values() ?? []) if (v === 3) both++;
  return { pairs: pairs?.size ?? 0, bothOrders: both };
}
