/**
 * include/linux/page_ref.h: the folio reference count. Each helper is the one atomic the kernel
 * uses. Oracle 3 (refcount) is checked on the value the atomic returns: an increment of a page
 * whose count was zero outside a try-get, and an underflow, are violations.
 */
import { type Program, Violation } from '../../machine/effects.js';
import type { Kernel } from '../kernel.js';

function ref(k: Kernel, pfn: number): number {
  return k.memmap.field(pfn, '_refcount');
}

export function* folio_ref_count(k: Kernel, folio: number): Program<number> {
  return ((yield { op: 'load', addr: ref(k, folio), width: 1 }) as number) | 0;
}

/** folio_ref_add / folio_get: a plain atomic_add; VM_BUG_ON_FOLIO on a zero count. */
export function* folio_ref_add(k: Kernel, folio: number, nr: number): Program<number> {
  const v = (yield { op: 'add', addr: ref(k, folio), delta: nr }) as number;
  if (v - nr <= 0) throw new Violation('refcount', `reference taken on folio ${folio} whose count was ${v - nr} (free or frozen) outside a try-get`);
  return v;
}

export function* folio_get(k: Kernel, folio: number): Program<void> {
  yield* folio_ref_add(k, folio, 1);
}

/** folio_ref_sub_and_test: atomic_sub_return == 0. */
export function* folio_ref_sub_and_test(k: Kernel, folio: number, nr: number): Program<boolean> {
  const v = (yield { op: 'add', addr: ref(k, folio), delta: -nr }) as number;
  if (v < 0) throw new Violation('refcount', `refcount of folio ${folio} underflowed to ${v}`);
  return v === 0;
}

/** folio_ref_add_unless_zero / folio_ref_try_add: atomic_add_unless(&_refcount, nr, 0).
 * (The kernel also brackets it with rcu_read_lock; the caller models that.) */
export function* folio_ref_try_add(k: Kernel, folio: number, nr: number): Program<boolean> {
  return (yield { op: 'add_unless', addr: ref(k, folio), delta: nr, unless: 0 }) as boolean;
}

/** folio_ref_freeze: atomic_cmpxchg(&_refcount, count, 0) == count. */
export function* folio_ref_freeze(k: Kernel, folio: number, count: number): Program<boolean> {
  return ((yield { op: 'cmpxchg', addr: ref(k, folio), width: 1, expected: count, value: 0 }) as number) === count;
}

/** folio_ref_unfreeze: atomic_set_release(&_refcount, count). */
export function* folio_ref_unfreeze(k: Kernel, folio: number, count: number): Program<void> {
  yield { op: 'store', addr: ref(k, folio), width: 1, value: count };
}
