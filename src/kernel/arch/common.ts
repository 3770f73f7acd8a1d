/** Pieces the arch profiles share: whole-entry accessors and the IPI-and-wait cross call. */
import type { Program } from '../../machine/effects.js';
import { guarded } from '../guards.js';
import { Ctx, kfunc } from '../kernel.js';
import { load64, store64 } from '../mm/pgtable.js';

export const entry64 = { plain_read: load64, get_lockless: load64, set_entry: store64 };

/**
 * smp_call_function_many(mask, func, wait=1) (kernel/smp.c): queue the call on every other CPU
 * of the mask, IPI them, and wait until each has run it in its interrupt context.
 */
export const smp_call_function_many = kfunc(
  'smp_call_function_many',
  function* (k: Ctx, mask: number[], name: string, func: (k: Ctx) => Program<void>): Program<void> {
    const targets = mask.filter((c) => c !== k.cpu);
    if (targets.length === 0) return;
    const kernel = k.kernel;
    const ticket = (yield { op: 'ipi_send', targets, name, handler: (cpu: number) => func(new Ctx(kernel, cpu)) }) as number;
    if (guarded(k, 'smp_call_function_many:wait')) yield { op: 'ipi_wait', ticket };
  },
);

/** An IPI handler with nothing to do but run (do_nothing / tlb_remove_table_smp_sync). */
export const do_nothing = kfunc('do_nothing', function* (_k: Ctx): Program<void> {});
