/** The simulated hardware: TLB fill and flushes, IPI delivery only with IRQs on, RCU grace
 * periods, the allocator (LIFO reuse, poisoning, use tags); and budgets giving `unknown`. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Program } from '../src/machine/effects.js';
import { Machine } from '../src/machine/machine.js';
import { POISON_WORD } from '../src/machine/memory.js';
import { Geometry, PAGE_SIZE, _PAGE_PRESENT, _PAGE_RW, mkEntry } from '../src/machine/mmu.js';
import { explore } from '../src/explore/dpor.js';
import { Execution, type World } from '../src/explore/runtime.js';
import { check } from '../src/explore/check.js';
import { CATALOG } from '../src/scenarios/catalog.js';

const geometry = () => new Geometry({ bits: { pgd: 1, p4d: 0, pud: 0, pmd: 1, pte: 1 } });

function world(m: Machine, programs: Array<Program<unknown>>): World {
  return { machine: m, programs: programs.map((program, cpu) => ({ name: `cpu${cpu}`, cpu, program })), symbol: String, finalCheck: () => null };
}

function run(w: World): Execution {
  const e = new Execution(w, false);
  for (let en = e.enabled(); en.length; en = e.enabled()) e.step(en[0]);
  e.finish();
  return e;
}

test('the hardware walker fills the TLB; a local flush and a broadcast TLBI empty it', () => {
  const m = new Machine({ cpus: 2, frames: 8, staticWords: 0, geometry: geometry() });
  const pgd = m.mem.alloc(0, { kind: 'table', level: 5 });
  const pmd = m.mem.alloc(0, { kind: 'table', level: 2 });
  const pte = m.mem.alloc(0, { kind: 'table', level: 1 });
  const data = m.mem.alloc(0, { kind: 'data' });
  m.mem.write(m.mem.frameBase(pgd), 2, mkEntry(pmd, _PAGE_PRESENT | _PAGE_RW));
  m.mem.write(m.mem.frameBase(pmd), 2, mkEntry(pte, _PAGE_PRESENT | _PAGE_RW));
  m.mem.write(m.mem.frameBase(pte), 2, mkEntry(data, _PAGE_PRESENT | _PAGE_RW));
  m.root[0] = m.root[1] = pgd;
  assert.equal(m.exec({ op: 'user_access', vaddr: 0, write: true }, 0), data);
  assert.equal(m.cpus[0].tlb.get(0)?.frame, data);
  m.mem.write(m.mem.frameBase(pte), 2, 0); // clear the pte: the stale TLB entry still translates
  assert.equal(m.exec({ op: 'user_access', vaddr: 0, write: false }, 0), data);
  m.exec({ op: 'tlb_flush_local', start: 0, end: PAGE_SIZE }, 0);
  assert.equal(m.exec({ op: 'user_access', vaddr: 0, write: false }, 0), -1);
  m.mem.write(m.mem.frameBase(pte), 2, mkEntry(data, _PAGE_PRESENT));
  m.exec({ op: 'user_access', vaddr: 0, write: false }, 0);
  m.exec({ op: 'user_access', vaddr: 0, write: false }, 1);
  assert.equal(m.exec({ op: 'user_access', vaddr: 0, write: true }, 0), -1, 'read-only entry');
  m.exec({ op: 'tlbi_broadcast', start: 0, end: PAGE_SIZE }, 1);
  assert.equal(m.cpus[0].tlb.size + m.cpus[1].tlb.size, 0);
});

test('an IPI waits for the target to enable IRQs; its sender waits for the handler', () => {
  const m = new Machine({ cpus: 2, frames: 1, staticWords: 1, geometry: geometry() });
  const x = m.mem.reserveStatic(1);
  const order: string[] = [];
  function* target(): Program<void> {
    yield { op: 'irq_disable' };
    yield { op: 'store', addr: x, width: 1, value: 1 };
    order.push('target irq off section');
    yield { op: 'irq_enable' };
  }
  function* sender(): Program<void> {
    const ticket = (yield { op: 'ipi_send', targets: [0], name: 'h', handler: function* () { order.push('handler'); yield { op: 'load', addr: x, width: 1 }; } }) as number;
    yield { op: 'ipi_wait', ticket };
    order.push('sender resumes');
  }
  const e = new Execution(world(m, [target(), sender()]), false);
  e.step(0); // target disables IRQs
  e.step(1); // IPI sent
  const handler = e.threads.find((t) => t.kind === 'irq')!;
  assert.equal(e.isEnabled(handler), false, 'not delivered while IRQs are off');
  assert.equal(e.isEnabled(e.threads[1]), false, 'the sender waits');
  for (let en = e.enabled(); en.length; en = e.enabled()) e.step(en[0]);
  assert.deepEqual(order, ['target irq off section', 'handler', 'sender resumes']);
});

test('synchronize_rcu waits for a reader that started before it, including an IRQ-off region', () => {
  const m = new Machine({ cpus: 2, frames: 1, staticWords: 0, geometry: geometry() });
  const e = new Execution(world(m, [(function* (): Program<void> { yield { op: 'irq_disable' }; yield { op: 'irq_enable' }; })(), (function* (): Program<void> { const t = (yield { op: 'gp_start' }) as number; yield { op: 'gp_wait', ticket: t }; })()]), false);
  e.step(0);
  e.step(1);
  assert.equal(e.isEnabled(e.threads[1]), false);
  e.step(0);
  assert.equal(e.isEnabled(e.threads[1]), true);
});

test('the allocator reuses the last freed frame first, poisons it and tags its use', () => {
  const m = new Machine({ cpus: 1, frames: 4, staticWords: 0, geometry: geometry() });
  const a = m.mem.alloc(0, { kind: 'data' });
  const b = m.mem.alloc(0, { kind: 'table', level: 1 });
  m.mem.free(a, 0);
  m.mem.free(b, 0);
  assert.equal(m.mem.words[m.mem.frameBase(b)], POISON_WORD);
  assert.equal(m.mem.use[b].kind, 'free');
  const c = m.mem.alloc(0, { kind: 'data' });
  assert.equal(c, b, 'LIFO');
  assert.deepEqual(m.mem.use[c], { kind: 'data' });
  assert.equal(m.mem.free(c, 0), true);
  assert.equal(m.mem.free(c, 0), false, 'double free is reported');
});

test('a page-table read after the frame was freed and reused is a violation (oracle 2)', () => {
  const m = new Machine({ cpus: 1, frames: 2, staticWords: 0, geometry: geometry() });
  const t = m.mem.alloc(0, { kind: 'table', level: 1 });
  const gen = m.mem.gen[t];
  m.mem.free(t, 0);
  m.mem.alloc(0, { kind: 'data' });
  const e = run(world(m, [(function* (): Program<void> { yield { op: 'load', addr: m.mem.frameBase(t), width: 2, check: { frame: t, gen, level: 1 } }; })()]));
  assert.equal(e.violation?.property, 'pt-uaf');
});

test('a budget stops the search with `unknown` and says how far it got', () => {
  const s = CATALOG.find((x) => x.id === 'collapse/arm64-pmd-recheck')!;
  const r = check(s, { maxExecutions: 10 });
  assert.equal(r.verdict, 'unknown');
  assert.equal(r.budget, 'max executions 10');
  assert.equal(r.executions + r.sleepBlocked, 10);
  const e = explore(() => s.build(s.config), { reduction: 'dpor', timeLimitMs: 1 });
  assert.ok(e.verdict === 'unknown' && e.budget?.startsWith('time limit'));
});
