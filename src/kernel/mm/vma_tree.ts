/**
 * The VMA tree (mm->mm_mt, a maple tree: lib/maple_tree.c) and the vma_iter_* helpers of
 * mm/vma.h, scaled down, in machine memory so that RCU readers and the writer race on real
 * words. Also struct vm_area_struct's fields that the modeled paths touch.
 *
 * Simplifications (written down here, the model rests on them):
 *  - The tree is a fixed array of slots, one per address range laid out at boot; a slot word
 *    holds the vma id + 1 (0: empty). The pivots (range boundaries) never change in the
 *    scenarios (no split or merge), so finding the slot for an address is pure and only the
 *    slot word is a load: mas_walk is one load, vma_iter_store_new / vma_iter_clear_gfp over a
 *    whole slot are one store. Node allocation, RCU freeing of maple nodes are not modeled.
 *  - vm_area_struct, v6.12 form (before the vm_refcnt rework of v6.15): vm_start, vm_end,
 *    detached (bool), vm_lock_seq, and vm_lock (an rw_semaphore word). vm_mm is always the mm.
 *  - vm_area_alloc / vm_area_free are not steps: the structs are reserved at boot, and a freed
 *    vma's struct keeps its contents (as within the RCU grace period of vm_area_free's call_rcu
 *    or before SLAB_TYPESAFE_BY_RCU reuse). remove_vma is therefore not modeled.
 *  - Ghost (not read by modeled code): the owner vma of each pte table a fault created, for
 *    oracle 5.
 */
import type { Program } from '../../machine/effects.js';
import type { Ctx, Kernel } from '../kernel.js';

export interface VmaStruct {
  id: number;
  name: string;
  /** words */
  vm_start: number;
  vm_end: number;
  detached: number;
  vm_lock_seq: number;
  vm_lock: number;
}

export interface VmaTree {
  /** mm->mm_lock_seq (v6.12: an int bumped by vma_end_write_all) */
  mm_lock_seq: number;
  slots: Array<{ start: number; end: number; word: number }>;
  vmas: VmaStruct[];
  /** ghost: pte table frame -> id of the vma whose fault populated it */
  ptOwner: Map<number, number>;
}

const trees = new WeakMap<Kernel, VmaTree>();

/** The mm's VMA tree, or undefined when the scenario has none (other families). */
export function vmaTree(k: Kernel): VmaTree | undefined {
  return trees.get(k);
}
function tree(k: Ctx): VmaTree {
  const t = trees.get(k.kernel);
  if (!t) throw new Error('model bug: no VMA tree in this scenario');
  return t;
}

/**
 * Boot-time layout (not steps): one slot per range; `vmas` are created (attached, in the tree
 * at their range) and `spare` structs are reserved for vmas a scenario creates later.
 */
export function initVmaTree(k: Kernel, ranges: Array<{ name: string; start: number; end: number; mapped: boolean }>, spare: string[] = []): VmaTree {
  const mem = k.machine.mem;
  const w = (n: number) => mem.reserveStatic(n);
  const t: VmaTree = { mm_lock_seq: w(1), slots: [], vmas: [], ptOwner: new Map() };
  k.names.set(t.mm_lock_seq, 'mm->mm_lock_seq');
  const mk = (name: string, start: number, end: number): VmaStruct => {
    const base = w(5);
    const v: VmaStruct = { id: t.vmas.length, name, vm_start: base, vm_end: base + 1, detached: base + 2, vm_lock_seq: base + 3, vm_lock: base + 4 };
    for (const f of ['vm_start', 'vm_end', 'detached', 'vm_lock_seq', 'vm_lock'] as const) k.names.set(v[f], `vma ${name}->${f}`);
    mem.words[v.vm_start] = start;
    mem.words[v.vm_end] = end;
    mem.words[v.detached] = 0; // vm_area_alloc -> vma_init: vma_mark_detached(vma, false) (v6.4-v6.13)
    mem.words[v.vm_lock_seq] = 0xffffffff; // vma_lock_init: -1, never equal to mm_lock_seq
    t.vmas.push(v);
    return v;
  };
  for (const r of ranges) {
    const word = w(1);
    k.names.set(word, `mm_mt slot [${r.start.toString(16)}, ${r.end.toString(16)})`);
    t.slots.push({ start: r.start, end: r.end, word });
    if (r.mapped) {
      const v = mk(r.name, r.start, r.end);
      mem.words[word] = v.id + 1;
    }
  }
  for (const s of spare) mk(s, 0, 0);
  trees.set(k, t);
  return t;
}

export function vmaByName(t: VmaTree, name: string): VmaStruct {
  const v = t.vmas.find((x) => x.name === name);
  if (!v) throw new Error(`model bug: no vma ${name}`);
  return v;
}

function slotFor(t: VmaTree, addr: number) {
  return t.slots.find((s) => addr >= s.start && addr < s.end);
}

/** mas_walk(&mas) at addr (under RCU or mmap_lock): one load of the slot; null when empty. */
export function* mas_walk(k: Ctx, addr: number): Program<VmaStruct | null> {
  const t = tree(k);
  const s = slotFor(t, addr);
  if (!s) return null;
  const v = (yield { op: 'load', addr: s.word, width: 1 }) as number;
  return v ? t.vmas[v - 1] : null;
}

/** vma_find(vmi, end) / find_vma: the first vma at or above addr, below end. */
export function* vma_find(k: Ctx, addr: number, end: number): Program<VmaStruct | null> {
  const t = tree(k);
  for (const s of t.slots) {
    if (s.end <= addr || s.start >= end) continue;
    const v = (yield { op: 'load', addr: s.word, width: 1 }) as number;
    if (v) return t.vmas[v - 1];
  }
  return null;
}

/** vma_iter_store_new / vma_iter_store_gfp over [start, end): the slots now point at vma (or
 * are emptied, for vma_iter_clear_gfp: vma null). RCU readers see the old or the new pointer. */
export function* vma_iter_store(k: Ctx, start: number, end: number, vma: VmaStruct | null): Program<void> {
  const t = tree(k);
  for (const s of t.slots) {
    if (s.end <= start || s.start >= end) continue;
    if (s.start < start || s.end > end) throw new Error('model bug: a store that splits a slot is not modeled');
    yield { op: 'store', addr: s.word, width: 1, value: vma ? vma.id + 1 : 0 };
  }
}

/** Neighbours by the fixed layout (vma_prev / vma_next under mmap_lock): ghost-free loads. */
export function* vma_prev_next(k: Ctx, start: number, end: number): Program<{ prev: VmaStruct | null; next: VmaStruct | null }> {
  const t = tree(k);
  let prev: VmaStruct | null = null;
  let next: VmaStruct | null = null;
  for (const s of t.slots) {
    if (s.end <= start) {
      const v = (yield { op: 'load', addr: s.word, width: 1 }) as number;
      if (v) prev = t.vmas[v - 1];
    } else if (s.start >= end && !next) {
      const v = (yield { op: 'load', addr: s.word, width: 1 }) as number;
      if (v) next = t.vmas[v - 1];
    }
  }
  return { prev, next };
}

/** A vma field: one 32-bit load. */
export function* vma_read(_k: Ctx, word: number): Program<number> {
  return (yield { op: 'load', addr: word, width: 1 }) as number;
}

/** Ghost, for oracle 5: the pte table `frame` was populated by a fault on `vma`. */
export function notePtOwner(k: Ctx, frame: number, vma: VmaStruct): void {
  tree(k).ptOwner.set(frame, vma.id);
}
