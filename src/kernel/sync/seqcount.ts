/**
 * include/linux/seqlock.h, seqcount_t: raw_read_seqcount (an acquire load), read_seqcount_retry
 * (smp_rmb, load, compare), raw_write_seqcount_begin/end (increment, smp_wmb). The model is
 * sequentially consistent, so the barriers are implicit. The writer increments are atomic adds:
 * page-replacing paths (reclaim, khugepaged) are not serialized by one lock, unlike fork's
 * write_protect_seq writers under mmap_lock.
 */
import type { Program } from '../../machine/effects.js';

export function* raw_read_seqcount(s: number): Program<number> {
  return (yield { op: 'load', addr: s, width: 1 }) as number;
}
export function* read_seqcount_retry(s: number, start: number): Program<boolean> {
  return ((yield { op: 'load', addr: s, width: 1 }) as number) !== start;
}
export function* raw_write_seqcount_begin(s: number): Program<void> {
  yield { op: 'add', addr: s, delta: 1 };
}
export const raw_write_seqcount_end = raw_write_seqcount_begin;
