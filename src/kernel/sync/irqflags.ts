/** include/linux/irqflags.h: local_irq_save/restore. An IRQ-off region delays IPIs to this CPU
 * and is an RCU read-side critical section. */
import type { Program } from '../../machine/effects.js';

/** Returns the previous IRQ state (the `flags` of local_irq_save). */
export function* local_irq_save(): Program<boolean> {
  return (yield { op: 'irq_disable' }) as boolean;
}
export function* local_irq_restore(flags: boolean): Program<void> {
  if (flags) yield { op: 'irq_enable' };
}
