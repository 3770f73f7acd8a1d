/**
 * The modeled kernel's global state for one execution, and the per-thread context kernel
 * functions receive (like `current` plus the CPU they run on).
 */
import { type Effect, type Program, Violation } from '../machine/effects.js';
import type { Machine } from '../machine/machine.js';
import type { Arch } from './arch/arch.js';
import { type AnonVma, Memmap, type MmStruct, type Vma } from './mm/mm_types.js';

/** A page GUP handed to its caller, who still holds the reference at the end (a DMA in flight). */
export interface GupRecord {
  cpu: number;
  addr: number;
  pfn: number;
  /** references held on the folio (FOLL_GET: 1 per page; FOLL_PIN: bias or pincount) */
  refs: number;
  pin: boolean;
  /** allocation generation of the page's frame when GUP read the pte mapping it (ghost) */
  gen?: number;
}

/** Ghost state: what happened, for the oracles; never read by modeled kernel code. */
export interface Ghost {
  gup: GupRecord[];
  /** Ranges unmapped by user-initiated operations (munmap, MAP_FIXED, MADV_DONTNEED). */
  userUnmaps: Array<{ start: number; end: number }>;
  /** References held by scenario actors other than mappings and GUP (a new owner of a page). */
  held: Array<{ pfn: number; refs: number; who: string }>;
  /** Exhibits: things worth showing that are not bugs (see observe()). */
  observations: Observation[];
}

export interface Observation {
  kind: string;
  message: string;
}

export class Kernel {
  readonly memmap: Memmap;
  readonly ghost: Ghost = { gup: [], userUnmaps: [], held: [], observations: [] };
  mm!: MmStruct;
  /** one swap device of `slots` slots: the swap cache (one word per slot holding pfn + 1; the
   * swapper_space xarray, or the swap table from v6.18), swap_map (one word per slot: nonzero
   * once allocated), the swap cache's lock (xa_lock) and the swap cluster lock (ci->lock; from
   * v6.18 it also guards the swap cache: see swap_state.ts swap_cache_lock) */
  swap!: { cache: number; map: number; slots: number; lock: number; ci_lock: number };
  vmas: Vma[] = [];
  /** Names of static kernel words, for traces. */
  readonly names = new Map<number, string>();
  anonVma!: AnonVma;

  constructor(
    readonly machine: Machine,
    readonly arch: Arch,
    readonly patches: ReadonlySet<string>,
    /** guards turned off (src/kernel/guards.ts), for mutation testing */
    readonly mutations: ReadonlySet<string> = new Set(),
  ) {
    this.memmap = new Memmap(machine.mem);
  }

  has(patch: string): boolean {
    return this.patches.has(patch);
  }

  /** CPUs whose TLB may hold this mm's translations (mm_cpumask): those running it. */
  mmCpumask(): number[] {
    return this.machine.root.flatMap((r, cpu) => (r === this.mm.pgd ? [cpu] : []));
  }

  onlineCpus(): number[] {
    return this.machine.cpus.map((c) => c.id);
  }
}

/** Per-thread context: the kernel, the CPU, and the allocation generation of each table frame
 * as it was when this thread read the entry pointing to it (ghost, for oracle 2). */
export class Ctx {
  readonly seen = new Map<number, number>();
  /** current->tlb_ubc: the deferred TLB flush of batched unmapping (mm/rmap.c); unmapped_pages
   * is x86's arch_tlbflush_unmap_batch.unmapped_pages (0b7eb55cb706, v6.15) */
  readonly tlb_ubc = { flush_required: false, writable: false, cpumask: new Set<number>(), unmapped_pages: false };
  /** Ghost, oracle 4: entry values never stored whole that this thread went on with (only in the
   * observe-only PAE test profile), by entry address: acting on one again is a violation. */
  readonly torn = new Map<number, number>();
  constructor(
    readonly kernel: Kernel,
    readonly cpu: number,
  ) {}
  get arch(): Arch {
    return this.kernel.arch;
  }
}

const LEAVE: Effect = { op: 'leave' };
const enters = new Map<string, Effect>();

/** Wraps a modeled kernel function so that traces name it. */
export function kfunc<A extends unknown[], R>(name: string, body: (k: Ctx, ...a: A) => Program<R>): (k: Ctx, ...a: A) => Program<R> {
  let enter = enters.get(name);
  if (!enter) enters.set(name, (enter = { op: 'enter', fn: name }));
  const e = enter;
  const f = function* (k: Ctx, ...a: A): Program<R> {
    yield e;
    const r = yield* body(k, ...a);
    yield LEAVE;
    return r;
  };
  Object.defineProperty(f, 'name', { value: name });
  return f;
}

/** A trace annotation (ghost: no step). */
export function* note(text: string): Program<void> {
  yield { op: 'note', text };
}

/** The model's own sanity assertions (oracle 6, property 'assertion'): a state the modeled
 * kernel code must never reach. */
export function BUG_ON(cond: boolean, what: string): void {
  if (cond) throw new Violation('assertion', `BUG_ON(${what})`);
}

/**
 * Kernel assertions as properties of their own: `WARN_ON(cond, 'folio_mapped(folio)')` is the
 * property 'WARN_ON(folio_mapped(folio))', violated by any interleaving that makes `cond` true
 * here (`what` names the condition, as the kernel's source line does). The execution stops where
 * it fires, as with panic_on_warn. Each returns false when the condition is false, so that
 * `if (WARN_ON(...)) return` reads as in the kernel.
 */
function assertion(macro: string, cond: boolean, what: string): boolean {
  if (cond) throw new Violation(`${macro}(${what})`, `${macro}(${what}) fired`);
  return false;
}
export const WARN_ON = (cond: boolean, what: string): boolean => assertion('WARN_ON', cond, what);
export const WARN_ON_ONCE = (cond: boolean, what: string): boolean => assertion('WARN_ON_ONCE', cond, what);
export const VM_WARN_ON = (cond: boolean, what: string): boolean => assertion('VM_WARN_ON', cond, what);
export const VM_BUG_ON = (cond: boolean, what: string): boolean => assertion('VM_BUG_ON', cond, what);

/** Record an exhibit (e.g. a speculative reference landing on a reused page): reported with a
 * trace, apart from violations. Ghost: no step. */
export function observe(k: Ctx, kind: string, message: string): void {
  k.kernel.ghost.observations.push({ kind, message });
}
