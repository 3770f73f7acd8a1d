/**
 * lock.cat (tools/memory-model/lock.cat, Linux v6.3; Maranget, Stern): spinlocks.
 *
 * lock.cat generates rf and co for lock events itself: an LKR reads from the write immediately
 * coherence-before its LKW, which must be the initial write or an unlock; each UL sits in co
 * right after its critical section's LKW; an LF (failed trylock) and an RL (spin_is_locked true)
 * read from an LKW; an RU (false) from an unlock or the initial write. Our engines build the same
 * executions directly, with the lock word's values: LKR reads 0, LKW writes 1, UL writes 0, LF
 * and RL read 1, RU reads 0, and the LKR/LKW pair is an RMW (its `atomic` axiom keeps nothing
 * between them in co). So here only what lock.cat adds on top of rf/co remains: the lk-rmw and
 * critical relations, the Acquire/Release classes, two axioms and the flags.
 */
import { EventSet, Relation } from '../relation.js';
import { Herd } from './herd.js';

export class Lock extends Herd {
  get LKR(): EventSet { return this.memo('LKR', () => this.tagged('LKR')); }
  get LKW(): EventSet { return this.memo('LKW', () => this.tagged('LKW')); }
  get UL(): EventSet { return this.memo('UL', () => this.tagged('UL')); }
  get LF(): EventSet { return this.memo('LF', () => this.tagged('LF')); }
  get RL(): EventSet { return this.memo('RL', () => this.tagged('RL')); }
  get RU(): EventSet { return this.memo('RU', () => this.tagged('RU')); }

  /** From lock reads to their partner lock writes. */
  get lkRmw(): Relation {
    return this.memo('lk-rmw', () => this.poLoc.restrict(this.LKR, this.LKW).minus(this.po.seq(this.po)));
  }
  /** Acquire and Release as lock.cat extends them: LKR acquires, UL releases. */
  get Acquire(): EventSet {
    return this.memo('Acquire', () => this.tagged('acquire').union(this.LKR));
  }
  get Release(): EventSet {
    return this.memo('Release', () => this.tagged('release').union(this.UL));
  }
  /** Each LKW to the UL that ends its critical section. */
  get critical(): Relation {
    return this.memo('critical', () => {
      const lkwOrUl = this.LKW.union(this.UL);
      const between = this.poLoc.restrict(undefined, lkwOrUl).seq(this.poLoc);
      return this.poLoc.restrict(this.LKW, this.UL).minus(between);
    });
  }
  get unmatchedLKW(): EventSet {
    return this.memo('UNMATCHED-LKW', () => this.LKW.minus(this.critical.domain()));
  }

  /** Axiom lock-nest: a paired LKR never sees the lock held by its own thread. */
  get lockNest(): Relation {
    return this.memo('lock-nest', () =>
      this.poLoc.restrict(this.LKW, this.lkRmw.domain()).minus(this.poLoc.restrict(undefined, this.UL).seq(this.poLoc)));
  }
  /** Axiom unmatched-locks: at most one lock left held per location (more must deadlock). */
  get unmatchedLocks(): Relation {
    return this.memo('unmatched-locks', () =>
      Relation.id(this.unmatchedLKW).seq(this.loc).restrict(undefined, this.unmatchedLKW).minus(Relation.id(this.all)));
  }

  lockFlags(): string[] {
    const flags: string[] = [];
    if (!this.LKW.minus(this.lkRmw.range()).isEmpty()) flags.push('unpaired-LKW');
    if (!this.LKR.minus(this.lkRmw.domain()).isEmpty()) flags.push('unpaired-LKR');
    const allLocks = this.LKR.union(this.LKW, this.UL, this.LF);
    const plainAccess = this.M.minus(this.IW).minus(allLocks).minus(this.RL).minus(this.RU);
    if (!this.loc.restrict(plainAccess, allLocks).isEmpty()) flags.push('mixed-lock-accesses');
    // lock-final is left out: herd7's FW holds only the final writes the condition observes,
    // which a model of the execution alone cannot know.
    if (!this.UL.minus(this.critical.range()).isEmpty()) flags.push('unmatched-unlock');
    return flags;
  }
}
