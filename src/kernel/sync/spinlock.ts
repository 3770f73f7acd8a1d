/** include/linux/spinlock.h: spinlocks as blocking effects (the explorer never spins). */
import type { Program } from '../../machine/effects.js';

export function* spin_lock(lock: number): Program<void> {
  yield { op: 'spin_lock', addr: lock };
}
export function* spin_unlock(lock: number): Program<void> {
  yield { op: 'spin_unlock', addr: lock };
}
export function* spin_trylock(lock: number): Program<boolean> {
  return (yield { op: 'spin_trylock', addr: lock }) as boolean;
}
