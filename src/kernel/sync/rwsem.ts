/** include/linux/rwsem.h: reader/writer semaphores as blocking effects. */
import type { Program } from '../../machine/effects.js';

export function* down_read(sem: number): Program<void> {
  yield { op: 'down_read', addr: sem };
}
export function* up_read(sem: number): Program<void> {
  yield { op: 'up_read', addr: sem };
}
export function* down_write(sem: number): Program<void> {
  yield { op: 'down_write', addr: sem };
}
export function* up_write(sem: number): Program<void> {
  yield { op: 'up_write', addr: sem };
}
