/** A simulated CPU: interrupt state, interrupt context, RCU reader state and a TLB. */

export interface TlbEntry {
  frame: number;
  writable: boolean;
}

export class Cpu {
  /** IRQs enabled in task context. */
  irqOn = true;
  /** The IPI ticket whose handler is running in this CPU's interrupt context, or -1. */
  inIrq = -1;
  /** rcu_read_lock nesting of the task context. */
  rcuNest = 0;
  /** Quiescent states passed: bumped each time the CPU leaves an RCU read-side section. */
  qs = 0;
  /** Virtual page number -> translation, filled by the hardware walker. */
  readonly tlb = new Map<number, TlbEntry>();

  constructor(readonly id: number) {}

  /** An IRQ-disabled region (or an interrupt handler) is also an RCU read-side critical section. */
  get inRcuReader(): boolean {
    return !this.irqOn || this.rcuNest > 0 || this.inIrq >= 0;
  }
}
