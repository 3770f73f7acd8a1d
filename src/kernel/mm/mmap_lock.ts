/** include/linux/mmap_lock.h: mm->mmap_lock, a rwsem. */
import type { Program } from '../../machine/effects.js';
import type { Ctx } from '../kernel.js';
import { down_read, down_write, up_read, up_write } from '../sync/rwsem.js';

export const mmap_read_lock = (k: Ctx): Program<void> => down_read(k.kernel.mm.mmap_lock);
export const mmap_read_unlock = (k: Ctx): Program<void> => up_read(k.kernel.mm.mmap_lock);
export const mmap_write_lock = (k: Ctx): Program<void> => down_write(k.kernel.mm.mmap_lock);
export const mmap_write_unlock = (k: Ctx): Program<void> => up_write(k.kernel.mm.mmap_lock);
