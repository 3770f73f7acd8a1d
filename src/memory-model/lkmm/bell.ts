/**
 * linux-kernel.bell (tools/memory-model, Linux v6.3: SRCU as loads and stores, Alan Stern's
 * "Provide exact SRCU semantics"): RCU and SRCU read-side critical sections, Marked and Plain
 * accesses, and dependencies carried through plain stores and loads.
 */
import { EventSet, Relation } from '../relation.js';
import { Lock } from './lock.js';

export class Bell extends Lock {
  tagSet(tag: Parameters<Lock['tagged']>[0]): EventSet {
    return this.memo(`tag:${tag}`, () => this.tagged(tag));
  }
  get Once(): EventSet { return this.tagSet('once'); }
  get Noreturn(): EventSet { return this.tagSet('noreturn'); }
  get RcuLock(): EventSet { return this.tagSet('rcu-lock'); }
  get RcuUnlock(): EventSet { return this.tagSet('rcu-unlock'); }
  get SyncRcu(): EventSet { return this.tagSet('sync-rcu'); }
  get SrcuLock(): EventSet { return this.tagSet('srcu-lock'); }
  get SrcuUnlock(): EventSet { return this.tagSet('srcu-unlock'); }
  get SyncSrcu(): EventSet { return this.tagSet('sync-srcu'); }
  /** The events of atomic RMW operations (not spinlocks), for smp_mb__{before,after}_atomic. */
  get RMW(): EventSet {
    return this.memo('RMW', () => {
      const locks = this.LKR.union(this.LKW);
      return this.rmw.domain().union(this.rmw.range()).minus(locks);
    });
  }

  /** Matching pairs of nested rcu_read_lock/rcu_read_unlock: the bell's recursive definition
   *  matches innermost pairs first, which is bracket matching along each thread. */
  get rcuRscs(): Relation {
    return this.memo('rcu-rscs', () => {
      const pairs: [number, number][] = [];
      const open = new Map<number, number[]>();
      for (const e of this.ev) {
        if (e.tag === 'rcu-lock') open.set(e.thread, [...(open.get(e.thread) ?? []), e.id]);
        if (e.tag === 'rcu-unlock') {
          const stack = open.get(e.thread) ?? [];
          const lock = stack.pop();
          if (lock !== undefined) pairs.push([lock, e.id]);
        }
      }
      return Relation.fromPairs(this.n, pairs);
    });
  }
  /** SRCU sections: a srcu_read_lock's cookie passed by data (and rf) to its srcu_read_unlock. */
  get srcuRscs(): Relation {
    return this.memo('srcu-rscs', () => {
      const notUnlock = this.all.minus(this.SrcuUnlock);
      const carrySrcuData = this.data0.restrict(undefined, notUnlock).seq(this.rf).star();
      return Relation.id(this.SrcuLock).seq(carrySrcuData).seq(this.data0).restrict(undefined, this.SrcuUnlock).inter(this.loc);
    });
  }

  get Marked(): EventSet {
    return this.memo('Marked', () =>
      this.all.minus(this.M).union(this.IW, this.Once, this.Release, this.Acquire, this.rmw.domain(), this.rmw.range(),
        this.LKR, this.LKW, this.UL, this.LF, this.RL, this.RU, this.SrcuLock, this.SrcuUnlock));
  }
  get Plain(): EventSet {
    return this.memo('Plain', () => this.M.minus(this.Marked));
  }

  /** Dependencies carried through a plain store and the po-later load that reads it. */
  get carryDep(): Relation {
    return this.memo('carry-dep', () => this.data0.restrict(undefined, this.all.minus(this.SrcuUnlock)).seq(this.rfi).star());
  }
  get addr(): Relation { return this.memo('addr', () => this.carryDep.seq(this.addr0)); }
  get data(): Relation { return this.memo('data', () => this.carryDep.seq(this.data0)); }
  get ctrl(): Relation { return this.memo('ctrl', () => this.carryDep.seq(this.ctrl0)); }

  bellFlags(): string[] {
    const flags: string[] = [];
    if (!this.RcuLock.minus(this.rcuRscs.domain()).isEmpty()) flags.push('unbalanced-rcu-lock');
    if (!this.RcuUnlock.minus(this.rcuRscs.range()).isEmpty()) flags.push('unbalanced-rcu-unlock');
    if (!this.SrcuLock.minus(this.srcuRscs.domain()).isEmpty()) flags.push('unbalanced-srcu-lock');
    if (!this.SrcuUnlock.minus(this.srcuRscs.range()).isEmpty()) flags.push('unbalanced-srcu-unlock');
    if (!this.srcuRscs.inverse().seq(this.srcuRscs).minus(Relation.id(this.all)).isEmpty()) flags.push('multiple-srcu-matches');
    if (!this.rcuRscs.inter(this.po.restrict(undefined, this.SyncSrcu).seq(this.po)).isEmpty()) flags.push('invalid-sleep');
    if (this.srcuRscs.pairs().some(([l, u]) => this.ev[l].value !== this.ev[u].value)) flags.push('bad-srcu-value-match');
    return flags;
  }
}
