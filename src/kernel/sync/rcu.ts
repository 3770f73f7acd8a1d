/** include/linux/rcupdate.h: readers, synchronize_rcu and call_rcu. */
import type { Program } from '../../machine/effects.js';

export function* rcu_read_lock(): Program<void> {
  yield { op: 'rcu_read_lock' };
}
export function* rcu_read_unlock(): Program<void> {
  yield { op: 'rcu_read_unlock' };
}
/** Blocks until every reader running when it started has finished (two steps: start, wait). */
export function* synchronize_rcu(): Program<void> {
  const ticket = (yield { op: 'gp_start' }) as number;
  yield { op: 'gp_wait', ticket };
}
/** The callback runs after a grace period, as the steps of a thread of its own. */
export function* call_rcu(name: string, callback: () => Program<void>): Program<void> {
  yield { op: 'call_rcu', name, callback };
}
