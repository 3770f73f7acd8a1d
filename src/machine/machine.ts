/**
 * The simulated hardware: word memory, CPUs with IRQ state and TLBs, IPIs, the hardware page
 * walker, and RCU grace-period bookkeeping. It executes one effect at a time and tells the
 * explorer, for an effect not yet executed, whether it is enabled and which locations it
 * touches (its footprint, for the partial-order reduction).
 */
import { Cpu } from './cpu.js';
import { type Effect, type FrameUse, type Program, Violation } from './effects.js';
import { Memory } from './memory.js';
import { type Geometry, PAGE_SIZE, PGD, PTE, _PAGE_RW, entryPfn, leaf, present } from './mmu.js';
import { LEVEL_NAMES } from './mmu.js';

export interface MachineConfig {
  cpus: number;
  frames: number;
  staticWords: number;
  geometry: Geometry;
}

/** Read and written locations of one step. */
export interface Footprint {
  r: number[];
  w: number[];
}

/** A new thread the step asks the runtime to start. */
export interface Spawn {
  name: string;
  cpu: number;
  /** 'irq' threads run in the CPU's interrupt context and stop its task meanwhile. */
  kind: 'irq' | 'rcu';
  program: Program<void>;
}

interface Ipi {
  sender: number;
  pending: number;
  name: string;
  targets: number[];
  /** targets whose handler has not finished */
  remaining: number[];
}

/** Read-only views for snapshots and the trace viewer (not used by the model). */
export interface IpiView {
  ticket: number;
  name: string;
  sender: number;
  targets: number[];
  remaining: number[];
}
export interface GracePeriodView {
  ticket: number;
  /** CPUs that were RCU readers when it started and have not passed a quiescent state yet */
  waitingOn: number[];
}

const CPU_LOCS = 5;
const IRQ = 0, CTX = 1, RCU = 2, QS = 3, TLB = 4;

export class Machine {
  readonly mem: Memory;
  readonly cpus: Cpu[];
  readonly geometry: Geometry;
  /** Page-table root (CR3/TTBR0) of each CPU's current mm; -1 when none. */
  readonly root: number[];
  private readonly ipis: Ipi[] = [];
  private readonly gps: Array<Array<[number, number]>> = [];
  private readonly locAlloc: number;
  private readonly locCpu: number;
  private readonly locIpi: number;
  /** Threads started by the last step (IPI handlers, RCU callbacks), for the runtime to pick up. */
  spawned: Spawn[] = [];
  /**
   * Ghost, for oracle 4 (torn value): the whole 64-bit values ever stored at each entry address
   * during the execution, plus the value it held before the first of them (the initial state).
   * Every width-2 store, xchg and successful cmpxchg records its value; arch code that writes an
   * entry as two 32-bit halves records the whole value it is storing (recordWhole). An address
   * with no record has only ever held its initial value. Not a location: no step reads it.
   */
  readonly wholeValues = new Map<number, Set<number>>();

  constructor(cfg: MachineConfig) {
    this.geometry = cfg.geometry;
    this.mem = new Memory(cfg.frames, 2 * cfg.geometry.maxEntries, cfg.staticWords);
    this.cpus = Array.from({ length: cfg.cpus }, (_, i) => new Cpu(i));
    this.root = Array(cfg.cpus).fill(-1);
    this.locAlloc = this.mem.size;
    this.locCpu = this.locAlloc + 1 + cfg.frames;
    this.locIpi = this.locCpu + CPU_LOCS * cfg.cpus;
  }

  private metaLoc(frame: number): number {
    return this.locAlloc + 1 + frame;
  }
  private cpuLoc(cpu: number, which: number): number {
    return this.locCpu + CPU_LOCS * cpu + which;
  }

  /** Whether the effect can run now; blocked effects wait instead of spinning. */
  enabled(e: Effect, cpu: number): boolean {
    switch (e.op) {
      case 'spin_lock':
        return this.mem.words[e.addr] === 0;
      case 'down_read':
        return (this.mem.words[e.addr] | 0) >= 0;
      case 'down_write':
        return this.mem.words[e.addr] === 0;
      case 'ipi_wait':
        return this.ipis[e.ticket].pending === 0;
      case 'irq_enter': {
        const c = this.cpus[cpu];
        return c.irqOn && c.inIrq < 0;
      }
      case 'gp_wait':
        return this.gps[e.ticket].every(([c, qs]) => this.cpus[c].qs > qs);
      default:
        return true;
    }
  }

  /** The locations enabled() reads for the effect (a subset of its footprint; empty when it is
   * always enabled): the explorer decides from them whether reordering can change it. */
  guardLocs(e: Effect, cpu: number): number[] {
    switch (e.op) {
      case 'spin_lock':
      case 'down_read':
      case 'down_write':
        return [e.addr];
      case 'ipi_wait':
        return [this.locIpi + e.ticket];
      case 'irq_enter':
        return [this.cpuLoc(cpu, IRQ), this.cpuLoc(cpu, CTX)];
      case 'gp_wait':
        return this.gps[e.ticket].map(([c]) => this.cpuLoc(c, QS));
      default:
        return [];
    }
  }

  /** Whether footprint() of the effect depends on the state (beyond the effect and the CPU): a
   * load that follows the entry it reads, the allocator's pick, the hardware walk, the next IPI
   * slot. The others touch fixed locations. */
  footprintVaries(e: Effect): boolean {
    switch (e.op) {
      case 'load':
        return e.follow === true;
      case 'alloc':
      case 'user_access':
      case 'ipi_send':
        return true;
      default:
        return false;
    }
  }

  footprint(e: Effect, cpu: number): Footprint {
    const m = this.mem;
    switch (e.op) {
      case 'load': {
        const r = this.span(e.addr, e.width, e.check?.frame);
        if (e.follow) {
          // the whole entry (a 32-bit half-load of a PAE entry follows what the entry holds now)
          const v = m.read(e.addr - (e.addr & 1), 2);
          const f = entryPfn(v);
          if (present(v) && f < m.frames) r.push(this.metaLoc(f));
        }
        return { r, w: [] };
      }
      case 'store':
      case 'xchg':
      case 'cmpxchg': {
        const s = this.span(e.addr, e.width, undefined);
        return { r: e.check ? [this.metaLoc(e.check.frame), ...s] : s, w: s };
      }
      case 'add':
      case 'add_unless':
      case 'bitop':
      case 'spin_lock':
      case 'spin_trylock':
      case 'spin_unlock':
      case 'down_read':
      case 'up_read':
      case 'down_write':
      case 'up_write':
        return { r: [e.addr], w: [e.addr] };
      case 'irq_disable':
      case 'irq_enable':
      case 'rcu_read_lock':
      case 'rcu_read_unlock':
        return { r: [this.cpuLoc(cpu, CTX)], w: [this.cpuLoc(cpu, IRQ), this.cpuLoc(cpu, RCU), this.cpuLoc(cpu, QS)] };
      case 'ipi_send':
        return { r: [], w: [this.locIpi + this.ipis.length] };
      case 'ipi_wait':
        return { r: [this.locIpi + e.ticket], w: [] };
      case 'irq_enter':
      case 'irq_exit':
        return {
          r: [this.cpuLoc(cpu, IRQ)],
          w: [this.cpuLoc(cpu, CTX), this.cpuLoc(cpu, RCU), this.cpuLoc(cpu, QS), this.locIpi + e.ipi],
        };
      case 'tlb_flush_local':
        return { r: [], w: [this.cpuLoc(cpu, TLB)] };
      case 'tlbi_broadcast':
        return { r: [], w: this.cpus.map((c) => this.cpuLoc(c.id, TLB)) };
      case 'user_access':
        return { r: [...this.walkLocs(cpu, e.vaddr), this.cpuLoc(cpu, CTX)], w: [this.cpuLoc(cpu, TLB)] };
      case 'gp_start':
      case 'call_rcu': {
        const r: number[] = [];
        for (const c of this.cpus) r.push(this.cpuLoc(c.id, IRQ), this.cpuLoc(c.id, RCU), this.cpuLoc(c.id, CTX));
        return { r, w: [] };
      }
      case 'gp_wait':
        return { r: this.gps[e.ticket].map(([c]) => this.cpuLoc(c, QS)), w: [] };
      case 'alloc': {
        const f = m.pick(e.order);
        const w = [this.locAlloc];
        if (f >= 0) for (let j = 0; j < 1 << e.order; j++) this.frameLocs(f + j, w);
        return { r: [this.locAlloc], w };
      }
      case 'free': {
        const w = [this.locAlloc];
        for (let j = 0; j < 1 << e.order; j++) this.frameLocs(e.frame + j, w);
        return { r: [this.locAlloc], w };
      }
      default:
        return { r: [], w: [] };
    }
  }

  /** A frame's use tag and all its words: what alloc (zeroing) and free (poisoning) write. */
  private frameLocs(frame: number, out: number[]): void {
    out.push(this.metaLoc(frame));
    const base = this.mem.frameBase(frame);
    for (let i = 0; i < this.mem.frameWords; i++) out.push(base + i);
  }

  private span(addr: number, width: number, checkFrame: number | undefined): number[] {
    const s = width === 2 ? [addr, addr + 1] : [addr];
    if (checkFrame !== undefined) s.push(this.metaLoc(checkFrame));
    return s;
  }

  /** Ghost: `value` is being stored whole at the entry at `addr` (see wholeValues). */
  recordWhole(addr: number, value: number): void {
    let h = this.wholeValues.get(addr);
    if (!h) this.wholeValues.set(addr, (h = new Set([this.mem.read(addr, 2)])));
    h.add(value);
  }

  /** Ghost: whether `value` was ever stored whole at `addr` (or is its untouched initial value). */
  storedWhole(addr: number, value: number): boolean {
    const h = this.wholeValues.get(addr);
    return h ? h.has(value) : this.mem.read(addr, 2) === value;
  }

  /** Execute one effect on behalf of a thread running on `cpu`. */
  exec(e: Effect, cpu: number): unknown {
    const m = this.mem;
    const c = this.cpus[cpu];
    switch (e.op) {
      case 'load':
        this.checkTable(e.check, e.addr);
        return m.read(e.addr, e.width);
      case 'store':
        this.checkTable(e.check, e.addr);
        if (e.width === 2) this.recordWhole(e.addr, e.value);
        m.write(e.addr, e.width, e.value);
        return undefined;
      case 'xchg': {
        this.checkTable(e.check, e.addr);
        const old = m.read(e.addr, e.width);
        if (e.width === 2) this.recordWhole(e.addr, e.value);
        m.write(e.addr, e.width, e.value);
        return old;
      }
      case 'cmpxchg': {
        this.checkTable(e.check, e.addr);
        const old = m.read(e.addr, e.width);
        if (old === e.expected) {
          if (e.width === 2) this.recordWhole(e.addr, e.value);
          m.write(e.addr, e.width, e.value);
        }
        return old;
      }
      case 'add': {
        const v = (m.words[e.addr] | 0) + e.delta;
        m.words[e.addr] = v >>> 0;
        return v;
      }
      case 'add_unless': {
        const v = m.words[e.addr] | 0;
        if (v === e.unless) return false;
        m.words[e.addr] = (v + e.delta) >>> 0;
        return true;
      }
      case 'bitop': {
        const old = m.words[e.addr];
        m.words[e.addr] = ((old | e.set) & ~e.clear) >>> 0;
        return old;
      }
      case 'spin_lock':
        m.words[e.addr] = 1;
        return undefined;
      case 'spin_trylock':
        if (m.words[e.addr] !== 0) return false;
        m.words[e.addr] = 1;
        return true;
      case 'spin_unlock':
        if (m.words[e.addr] === 0) throw new Violation('assertion', 'spin_unlock of an unlocked spinlock');
        m.words[e.addr] = 0;
        return undefined;
      case 'down_read':
        m.words[e.addr] = ((m.words[e.addr] | 0) + 1) >>> 0;
        return undefined;
      case 'up_read':
        m.words[e.addr] = ((m.words[e.addr] | 0) - 1) >>> 0;
        return undefined;
      case 'down_write':
        m.words[e.addr] = 0xffffffff;
        return undefined;
      case 'up_write':
        m.words[e.addr] = 0;
        return undefined;
      case 'irq_disable': {
        const was = c.irqOn;
        c.irqOn = false;
        return was;
      }
      case 'irq_enable':
        return this.readerTransition(c, () => (c.irqOn = true));
      case 'rcu_read_lock':
        c.rcuNest++;
        return undefined;
      case 'rcu_read_unlock':
        if (c.rcuNest === 0) throw new Violation('assertion', 'rcu_read_unlock without rcu_read_lock');
        return this.readerTransition(c, () => c.rcuNest--);
      case 'ipi_send':
        return this.sendIpi(cpu, e.targets, e.name, e.handler);
      case 'ipi_wait':
        return undefined;
      case 'irq_enter':
        c.inIrq = e.ipi;
        return undefined;
      case 'irq_exit': {
        this.readerTransition(c, () => (c.inIrq = -1));
        const ipi = this.ipis[e.ipi];
        ipi.pending--;
        ipi.remaining = ipi.remaining.filter((x) => x !== cpu);
        return undefined;
      }
      case 'tlb_flush_local':
        this.flushTlb(c, e.start, e.end);
        return undefined;
      case 'tlbi_broadcast':
        for (const x of this.cpus) this.flushTlb(x, e.start, e.end);
        return undefined;
      case 'user_access':
        return this.userAccess(c, e.vaddr, e.write);
      case 'gp_start':
        this.gps.push(this.cpus.filter((x) => x.inRcuReader).map((x) => [x.id, x.qs]));
        return this.gps.length - 1;
      case 'gp_wait':
        return undefined;
      case 'call_rcu': {
        this.gps.push(this.cpus.filter((x) => x.inRcuReader).map((x) => [x.id, x.qs]));
        const ticket = this.gps.length - 1;
        const cb = e.callback;
        this.spawned.push({ name: `rcu:${e.name}`, cpu, kind: 'rcu', program: (function* () {
          yield { op: 'gp_wait', ticket };
          yield* cb();
        })() });
        return undefined;
      }
      case 'alloc':
        return m.alloc(e.order, e.use);
      case 'free':
        if (!m.free(e.frame, e.order)) throw new Violation('refcount', `double free of frame ${e.frame}`);
        return undefined;
      default:
        return undefined;
    }
  }

  /** Count a quiescent state when the CPU leaves its last RCU read-side section. */
  private readerTransition(c: Cpu, change: () => unknown): undefined {
    const was = c.inRcuReader;
    change();
    if (was && !c.inRcuReader) c.qs++;
    return undefined;
  }

  /** The location every step of a CPU's task context reads: an interrupt entry stops the task. */
  ctxLoc(cpu: number): number {
    return this.cpuLoc(cpu, CTX);
  }

  /** Oracle 2: a walker reads a table frame that is free or was reallocated since it got there. */
  private checkTable(check: { frame: number; gen: number; level: number } | undefined, addr: number): void {
    if (!check) return;
    const use: FrameUse = this.mem.use[check.frame];
    const frame = this.mem.frameOf(addr);
    if (frame !== check.frame) throw new Error(`model bug: table access at ${addr} outside frame ${check.frame}`);
    if (use.kind === 'free')
      throw new Violation('pt-uaf', `read of page-table frame ${check.frame} after it was freed`);
    // The pointer was derived from an entry that never pointed at this frame as a table (a leaf
    // value: check.gen is -1), or the frame is unchanged since then and is not a table at all.
    if (use.kind !== 'table' && (check.gen === -1 || this.mem.gen[check.frame] === check.gen))
      throw new Violation('pt-uaf', `reads ${describeUse(use)} page ${check.frame} as a ${LEVEL_NAMES[check.level] ?? `level ${check.level}`} table`);
    if (this.mem.gen[check.frame] !== check.gen || use.kind !== 'table' || use.level !== check.level)
      throw new Violation('pt-uaf', `read of page-table frame ${check.frame} after it was freed and reused (now ${describeUse(use)})`);
  }

  private sendIpi(sender: number, targets: number[], name: string, handler: (cpu: number) => Program<void>): number {
    const ticket = this.ipis.length;
    this.ipis.push({ sender, pending: targets.length, name, targets: [...targets], remaining: [...targets] });
    for (const t of targets) {
      this.spawned.push({ name: `cpu${t}:irq(${name})`, cpu: t, kind: 'irq', program: (function* () {
        yield { op: 'irq_enter', ipi: ticket };
        yield* handler(t);
        yield { op: 'irq_exit', ipi: ticket };
      })() });
    }
    return ticket;
  }

  private flushTlb(c: Cpu, start: number, end: number): void {
    for (const vpn of [...c.tlb.keys()]) if (vpn * PAGE_SIZE >= start && vpn * PAGE_SIZE < end) c.tlb.delete(vpn);
  }

  /** The entries the hardware walker would read for vaddr (none on a TLB hit). */
  private walkLocs(cpu: number, vaddr: number): number[] {
    if (this.cpus[cpu].tlb.has(Math.floor(vaddr / PAGE_SIZE))) return [];
    const locs: number[] = [];
    this.walk(cpu, vaddr, (addr) => locs.push(addr, addr + 1));
    return locs;
  }

  /** Hardware page walk, one atomic step (a simplification: real walkers load level by level). */
  private walk(cpu: number, vaddr: number, visit?: (addr: number) => void): { frame: number; writable: boolean } | null {
    const g = this.geometry;
    let table = this.root[cpu];
    if (table < 0) return null;
    for (let level = PGD; level >= PTE; level--) {
      if (g.folded(level)) continue;
      const addr = this.mem.frameBase(table) + 2 * g.index(level, vaddr);
      visit?.(addr);
      const v = this.mem.read(addr, 2);
      if (!present(v)) return null;
      if (level === PTE || leaf(v)) {
        const sub = level === PTE ? 0 : Math.floor((vaddr % g.size(level)) / PAGE_SIZE);
        return { frame: entryPfn(v) + sub, writable: (v & _PAGE_RW) !== 0 };
      }
      table = entryPfn(v);
    }
    return null;
  }

  private userAccess(c: Cpu, vaddr: number, write: boolean): number {
    const vpn = Math.floor(vaddr / PAGE_SIZE);
    let t = c.tlb.get(vpn);
    if (!t) {
      const w = this.walk(c.id, vaddr);
      if (!w) return -1;
      t = w;
      c.tlb.set(vpn, t);
    }
    if (write && !t.writable) return -1;
    return t.frame;
  }

  /** Every IPI sent so far, with the targets whose handler has not finished. */
  ipiViews(): IpiView[] {
    return this.ipis.map((x, ticket) => ({ ticket, name: x.name, sender: x.sender, targets: [...x.targets], remaining: [...x.remaining] }));
  }

  /** Every grace period started so far (synchronize_rcu, call_rcu) and the CPUs it still waits for. */
  gracePeriodViews(): GracePeriodView[] {
    return this.gps.map((g, ticket) => ({ ticket, waitingOn: g.filter(([c, qs]) => this.cpus[c].qs <= qs).map(([c]) => c) }));
  }

  takeSpawned(): Spawn[] {
    const s = this.spawned;
    this.spawned = [];
    return s;
  }
}

export function describeUse(u: FrameUse): string {
  switch (u.kind) {
    case 'table':
      return `page table level ${u.level}`;
    default:
      return u.kind;
  }
}
