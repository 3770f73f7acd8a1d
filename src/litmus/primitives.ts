/**
 * The kernel primitives a litmus thread may call, mapped onto MmOps as
 * tools/memory-model/linux-kernel.def maps them onto herd7's `__load{once}`, `__store{release}`,
 * `__fence{mb}`, `__xchg{mb}`, `__atomic_op_return{acquire}`, ... (written here from the
 * names, not copied from the file).
 */
import type { FenceTag, LoadTag, RmwTag, StoreTag } from '../memory-model/ops.js';

/** How an argument is read: `*x` (an lvalue: READ_ONCE(*x)), a pointer (`smp_load_acquire(x)`), a value. */
export type ArgKind = 'lvalue' | 'pointer' | 'value';

export type Prim =
  | { kind: 'load'; tag: LoadTag }
  /** `mb`: smp_store_mb, a once store then a full fence. */
  | { kind: 'store'; tag: StoreTag; mb?: true }
  | { kind: 'fence'; tag: FenceTag }
  | { kind: 'xchg'; tag: RmwTag }
  | { kind: 'cmpxchg'; tag: RmwTag }
  /** atomic_add and friends: `amount` is a literal (inc, dec) or the first argument; `result`
   *  says what the call returns: nothing, the new value, the old one, or a test of the new one. */
  | { kind: 'atomic'; tag: RmwTag; op: '+' | '-'; amount: number | 'arg'; result: 'none' | 'new' | 'old' | 'zero' | 'negative' }
  | { kind: 'lock' | 'unlock' | 'trylock' | 'islocked' | 'srcu-lock' | 'srcu-unlock' | 'sync-srcu' };

export interface PrimSpec {
  prim: Prim;
  args: ArgKind[];
  /** Whether the call has a value (`r = READ_ONCE(*x)`) or is a statement only (`smp_mb()`). */
  returns: boolean;
}

const table = new Map<string, PrimSpec>();
const def = (name: string, prim: Prim, args: ArgKind[], returns: boolean): void => {
  table.set(name, { prim, args, returns });
};

/** The ordering suffixes of RMWs: none is fully ordered. */
const ORDERINGS: Array<[string, RmwTag]> = [['', 'mb'], ['_relaxed', 'once'], ['_acquire', 'acquire'], ['_release', 'release']];

def('READ_ONCE', { kind: 'load', tag: 'once' }, ['lvalue'], true);
def('WRITE_ONCE', { kind: 'store', tag: 'once' }, ['lvalue', 'value'], false);
def('smp_load_acquire', { kind: 'load', tag: 'acquire' }, ['pointer'], true);
def('smp_store_release', { kind: 'store', tag: 'release' }, ['pointer', 'value'], false);
def('rcu_dereference', { kind: 'load', tag: 'once' }, ['lvalue'], true);
def('rcu_assign_pointer', { kind: 'store', tag: 'release' }, ['lvalue', 'value'], false);
def('smp_store_mb', { kind: 'store', tag: 'once', mb: true }, ['lvalue', 'value'], false);

const FENCES: Array<[string, FenceTag]> = [
  ['smp_mb', 'mb'], ['smp_rmb', 'rmb'], ['smp_wmb', 'wmb'], ['barrier', 'barrier'],
  ['smp_mb__before_atomic', 'before-atomic'], ['smp_mb__after_atomic', 'after-atomic'],
  ['smp_mb__after_spinlock', 'after-spinlock'], ['smp_mb__after_unlock_lock', 'after-unlock-lock'],
  ['rcu_read_lock', 'rcu-lock'], ['rcu_read_unlock', 'rcu-unlock'],
  ['synchronize_rcu', 'sync-rcu'], ['synchronize_rcu_expedited', 'sync-rcu'],
];
for (const [name, tag] of FENCES) def(name, { kind: 'fence', tag }, [], false);

for (const [suffix, tag] of ORDERINGS) {
  def(`xchg${suffix}`, { kind: 'xchg', tag }, ['pointer', 'value'], true);
  def(`cmpxchg${suffix}`, { kind: 'cmpxchg', tag }, ['pointer', 'value', 'value'], true);
  def(`atomic_xchg${suffix}`, { kind: 'xchg', tag }, ['pointer', 'value'], true);
  def(`atomic_cmpxchg${suffix}`, { kind: 'cmpxchg', tag }, ['pointer', 'value', 'value'], true);
}

def('spin_lock', { kind: 'lock' }, ['pointer'], false);
def('spin_unlock', { kind: 'unlock' }, ['pointer'], false);
def('spin_trylock', { kind: 'trylock' }, ['pointer'], true);
def('spin_is_locked', { kind: 'islocked' }, ['pointer'], true);

def('srcu_read_lock', { kind: 'srcu-lock' }, ['pointer'], true);
def('srcu_read_unlock', { kind: 'srcu-unlock' }, ['pointer', 'value'], false);
def('synchronize_srcu', { kind: 'sync-srcu' }, ['pointer'], false);
def('synchronize_srcu_expedited', { kind: 'sync-srcu' }, ['pointer'], false);

def('atomic_read', { kind: 'load', tag: 'once' }, ['pointer'], true);
def('atomic_set', { kind: 'store', tag: 'once' }, ['pointer', 'value'], false);
def('atomic_read_acquire', { kind: 'load', tag: 'acquire' }, ['pointer'], true);
def('atomic_set_release', { kind: 'store', tag: 'release' }, ['pointer', 'value'], false);

/** add/sub take (V, X); inc/dec take (X) and add or subtract 1. */
const ARITH: Array<[string, '+' | '-', number | 'arg']> = [['add', '+', 'arg'], ['sub', '-', 'arg'], ['inc', '+', 1], ['dec', '-', 1]];
for (const [base, op, amount] of ARITH) {
  const args: ArgKind[] = amount === 'arg' ? ['value', 'pointer'] : ['pointer'];
  def(`atomic_${base}`, { kind: 'atomic', tag: 'noreturn', op, amount, result: 'none' }, args, false);
  for (const [suffix, tag] of ORDERINGS) {
    def(`atomic_${base}_return${suffix}`, { kind: 'atomic', tag, op, amount, result: 'new' }, args, true);
    def(`atomic_fetch_${base}${suffix}`, { kind: 'atomic', tag, op, amount, result: 'old' }, args, true);
  }
}
def('atomic_sub_and_test', { kind: 'atomic', tag: 'mb', op: '-', amount: 'arg', result: 'zero' }, ['value', 'pointer'], true);
def('atomic_dec_and_test', { kind: 'atomic', tag: 'mb', op: '-', amount: 1, result: 'zero' }, ['pointer'], true);
def('atomic_inc_and_test', { kind: 'atomic', tag: 'mb', op: '+', amount: 1, result: 'zero' }, ['pointer'], true);
def('atomic_add_negative', { kind: 'atomic', tag: 'mb', op: '+', amount: 'arg', result: 'negative' }, ['value', 'pointer'], true);

export const PRIMITIVES: ReadonlyMap<string, PrimSpec> = table;
