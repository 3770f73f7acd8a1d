/**
 * linux-kernel.cat (tools/memory-model, Linux v6.3; Alglave, Maranget, McKenney, Parri, Stern),
 * transcribed relation by relation. Names follow the .cat file (kebab-case there, camelCase
 * here). The file rebinds `fence` and `strong-fence` after the RCU section to include rcu-fence;
 * here the later bindings are `fenceRcu` and `strongFenceRcu`, and every relation uses the binding
 * in force where the .cat defines it.
 */
import { EventSet, Relation } from '../relation.js';
import { Bell } from './bell.js';

export class Cat extends Bell {
  private fenced(...sets: EventSet[]): Relation {
    return this.fencerel(sets.reduce((a, b) => a.union(b)));
  }
  private id(s: EventSet): Relation {
    return Relation.id(s);
  }

  // --- Release Acquire --------------------------------------------------------------------
  get acqPo(): Relation { return this.memo('acq-po', () => this.po.restrict(this.Acquire, this.M)); }
  get poRel(): Relation { return this.memo('po-rel', () => this.po.restrict(this.M, this.Release)); }
  get poUnlockLockPo(): Relation {
    return this.memo('po-unlock-lock-po', () =>
      this.po.restrict(undefined, this.UL).seq(this.po.union(this.rf)).restrict(undefined, this.LKR).seq(this.po));
  }

  // --- Fences -------------------------------------------------------------------------------
  get R4rmb(): EventSet { return this.memo('R4rmb', () => this.R.minus(this.Noreturn)); }
  get rmb(): Relation {
    return this.memo('rmb', () => this.fenced(this.tagSet('rmb')).restrict(this.R4rmb, this.R4rmb));
  }
  get wmb(): Relation {
    return this.memo('wmb', () => this.fenced(this.tagSet('wmb')).restrict(this.W, this.W));
  }
  get mb(): Relation {
    return this.memo('mb', () => {
      const M = this.M;
      const poOpt = this.po.opt();
      const full = this.fenced(this.tagSet('mb')).restrict(M, M);
      const beforeAtomic = this.fenced(this.tagSet('before-atomic')).restrict(M, this.RMW).seq(poOpt).restrict(undefined, M);
      const afterAtomic = this.id(M).seq(poOpt).restrict(undefined, this.RMW).seq(this.fenced(this.tagSet('after-atomic'))).restrict(undefined, M);
      const afterSpinlock = this.id(M).seq(poOpt).restrict(undefined, this.LKW).seq(this.fenced(this.tagSet('after-spinlock'))).restrict(undefined, M);
      const afterUnlockLock = this.po.restrict(M, this.UL).seq(this.co.union(this.po)).restrict(undefined, this.LKW)
        .seq(this.fenced(this.tagSet('after-unlock-lock'))).restrict(undefined, M);
      return full.union(beforeAtomic, afterAtomic, afterSpinlock, afterUnlockLock);
    });
  }
  get gp(): Relation {
    return this.memo('gp', () => this.po.restrict(undefined, this.SyncRcu.union(this.SyncSrcu)).seq(this.po.opt()));
  }
  get strongFence(): Relation { return this.memo('strong-fence', () => this.mb.union(this.gp)); }
  get nonrwFence(): Relation {
    return this.memo('nonrw-fence', () => this.strongFence.union(this.poRel, this.acqPo));
  }
  get fence(): Relation { return this.memo('fence', () => this.nonrwFence.union(this.wmb, this.rmb)); }
  get barrier(): Relation {
    return this.memo('barrier', () =>
      this.fenced(...(['barrier', 'rmb', 'wmb', 'mb', 'sync-rcu', 'sync-srcu', 'before-atomic', 'after-atomic',
        'rcu-lock', 'rcu-unlock', 'srcu-lock', 'srcu-unlock'] as const).map((t) => this.tagSet(t)), this.Acquire, this.Release)
        .union(this.po.restrict(undefined, this.Release), this.po.restrict(this.Acquire)));
  }

  // --- Fundamental coherence ordering -------------------------------------------------------
  get com(): Relation { return this.memo('com', () => this.rf.union(this.co, this.fr)); }
  /** Axiom coherence: acyclic po-loc | com. */
  get coherenceHolds(): boolean { return this.poLoc.union(this.com).acyclic(); }
  /** Axiom atomic: empty rmw & (fre ; coe). */
  get atomicHolds(): boolean { return this.rmw.inter(this.fre.seq(this.coe)).isEmpty(); }

  // --- Instruction execution ordering -------------------------------------------------------
  get dep(): Relation { return this.memo('dep', () => this.addr.union(this.data)); }
  get rwdep(): Relation { return this.memo('rwdep', () => this.dep.union(this.ctrl).restrict(undefined, this.W)); }
  get overwrite(): Relation { return this.memo('overwrite', () => this.co.union(this.fr)); }
  get toW(): Relation {
    return this.memo('to-w', () =>
      this.rwdep.union(this.overwrite.inter(this.int), this.addr.restrict(undefined, this.Plain).seq(this.wmb)));
  }
  get toR(): Relation {
    return this.memo('to-r', () => this.addr.union(this.dep.restrict(undefined, this.Marked).seq(this.rfi)));
  }
  get ppo(): Relation {
    return this.memo('ppo', () => this.toR.union(this.toW, this.fence, this.poUnlockLockPo.inter(this.int)));
  }

  // --- Propagation --------------------------------------------------------------------------
  private aCumul(r: Relation): Relation {
    return this.rfe.restrict(undefined, this.Marked).opt().seq(r);
  }
  get cumulFence(): Relation {
    return this.memo('cumul-fence', () =>
      this.aCumul(this.strongFence.union(this.poRel)).union(this.wmb, this.poUnlockLockPo).restrict(this.Marked, this.Marked));
  }
  get prop(): Relation {
    return this.memo('prop', () =>
      this.id(this.Marked).seq(this.overwrite.inter(this.ext).opt()).seq(this.cumulFence.star())
        .restrict(undefined, this.Marked).seq(this.rfe.opt()).restrict(undefined, this.Marked));
  }
  get hb(): Relation {
    return this.memo('hb', () => {
      const propInt = this.prop.minus(this.id(this.all)).inter(this.int);
      return this.ppo.union(this.rfe, propInt).restrict(this.Marked, this.Marked);
    });
  }
  get pb(): Relation {
    return this.memo('pb', () => this.prop.seq(this.strongFence).seq(this.hb.star()).restrict(undefined, this.Marked));
  }

  // --- RCU ----------------------------------------------------------------------------------
  get rcuLink(): Relation {
    return this.memo('rcu-link', () => this.po.opt().seq(this.hb.star()).seq(this.pb.star()).seq(this.prop).seq(this.po));
  }
  /** The least fixpoint of the .cat's recursive rcu-order: any chain with at least as many grace
   *  periods as critical sections, joined by rcu-link (SRCU terms only on one srcu_struct). */
  get rcuOrder(): Relation {
    return this.memo('rcu-order', () => {
      const gp = this.id(this.SyncRcu), sgp = this.id(this.SyncSrcu);
      const rscsi = this.rcuRscs.inverse(), srscsi = this.srcuRscs.inverse();
      const link = this.rcuLink;
      const loc = this.loc;
      let order = gp.union(sgp);
      for (;;) {
        const next = order.union(
          gp.seq(link).seq(rscsi),
          sgp.seq(link).seq(srscsi).inter(loc),
          rscsi.seq(link).seq(gp),
          srscsi.seq(link).seq(sgp).inter(loc),
          gp.seq(link).seq(order).seq(link).seq(rscsi),
          sgp.seq(link).seq(order).seq(link).seq(srscsi).inter(loc),
          rscsi.seq(link).seq(order).seq(link).seq(gp),
          srscsi.seq(link).seq(order).seq(link).seq(sgp).inter(loc),
          order.seq(link).seq(order));
        if (next.pairs().length === order.pairs().length) return order;
        order = next;
      }
    });
  }
  get rcuFence(): Relation {
    return this.memo('rcu-fence', () => this.po.seq(this.rcuOrder).seq(this.po.opt()));
  }
  /** `fence` and `strong-fence` as rebound after the RCU section. */
  get fenceRcu(): Relation { return this.memo('fence+rcu', () => this.fence.union(this.rcuFence)); }
  get strongFenceRcu(): Relation { return this.memo('strong-fence+rcu', () => this.strongFence.union(this.rcuFence)); }
  get rb(): Relation {
    return this.memo('rb', () =>
      this.prop.seq(this.rcuFence).seq(this.hb.star()).seq(this.pb.star()).restrict(undefined, this.Marked));
  }

  // --- Plain accesses and data races --------------------------------------------------------
  get mixedAccesses(): Relation {
    return this.memo('mixed-accesses', () => {
      const plainW = this.Plain.inter(this.W);
      const near = this.poLoc.minus(this.barrier);
      return near.restrict(plainW, this.Marked).union(near.restrict(this.Marked, plainW));
    });
  }
  get xbstar(): Relation { return this.memo('xbstar', () => this.hb.union(this.pb, this.rb).star()); }
  get vis(): Relation {
    return this.memo('vis', () =>
      this.cumulFence.star().seq(this.rfe.opt()).restrict(undefined, this.Marked)
        .seq(this.strongFenceRcu.restrict(undefined, this.Marked).seq(this.xbstar).union(this.xbstar.inter(this.int))));
  }
  get wPreBounded(): Relation {
    return this.memo('w-pre-bounded', () => this.id(this.Marked).seq(this.addr.union(this.fenceRcu).opt()));
  }
  private rmbTo(from: EventSet, to: EventSet): Relation {
    return this.fenced(this.tagSet('rmb')).restrict(from, to);
  }
  get rPreBounded(): Relation {
    return this.memo('r-pre-bounded', () =>
      this.id(this.Marked).seq(this.addr.union(this.nonrwFence, this.rmbTo(this.R4rmb, this.all.minus(this.Noreturn))).opt()));
  }
  get wPostBounded(): Relation {
    return this.memo('w-post-bounded', () => this.fenceRcu.opt().restrict(undefined, this.Marked));
  }
  get rPostBounded(): Relation {
    return this.memo('r-post-bounded', () =>
      this.nonrwFence.union(this.rmbTo(this.all.minus(this.Noreturn), this.R4rmb)).opt().restrict(undefined, this.Marked));
  }
  get wwVis(): Relation {
    return this.memo('ww-vis', () =>
      this.fenceRcu.union(this.strongFenceRcu.seq(this.xbstar).seq(this.wPreBounded), this.wPostBounded.seq(this.vis).seq(this.wPreBounded)));
  }
  get wrVis(): Relation {
    return this.memo('wr-vis', () =>
      this.fenceRcu.union(this.strongFenceRcu.seq(this.xbstar).seq(this.rPreBounded), this.wPostBounded.seq(this.vis).seq(this.rPreBounded)));
  }
  get rwXbstar(): Relation {
    return this.memo('rw-xbstar', () => this.fenceRcu.union(this.rPostBounded.seq(this.xbstar).seq(this.wPreBounded)));
  }
  get preRace(): Relation {
    return this.memo('pre-race', () =>
      this.ext.inter(Relation.cross(this.Plain, this.M).union(Relation.cross(this.M.minus(this.IW), this.Plain))));
  }
  get plainIncoherence(): Relation {
    return this.memo('plain-incoh', () => {
      const wr = this.preRace.inter(this.rf).inter(this.rwXbstar.inverse());
      const rw = this.preRace.inter(this.fr).inter(this.wrVis.inverse());
      const ww = this.preRace.inter(this.co).inter(this.wwVis.inverse());
      return wr.union(rw, ww);
    });
  }
  get dataRaces(): Relation {
    return this.memo('data-races', () => {
      const wwNonrace = this.wwVis
        .inter(Relation.cross(this.Marked, this.W).union(this.rwXbstar))
        .inter(Relation.cross(this.W, this.Marked).union(this.wrVis));
      const ww = this.preRace.inter(this.co).minus(wwNonrace);
      const wr = this.preRace.inter(this.co.opt().seq(this.rf)).minus(this.wrVis).minus(this.rwXbstar.inverse());
      const rw = this.preRace.inter(this.fr).minus(this.rwXbstar);
      return ww.union(wr, rw);
    });
  }
}
