/**
 * seqcount: Linus's alternative to disabling interrupts in GUP-fast -- a sequence count that
 * the page-replacing paths bump, which GUP-fast samples before its walk and checks after,
 * undoing its pins if it moved (patch 'gup-seqcount', a proposal). Does it close `collapse` and
 * `reclaim` on its own, with the IPI no longer holding anything off (GUP-fast runs with IRQs on)
 * and without the later rechecks?
 */
import { build as buildCollapse } from './collapse.js';
import { build as buildReclaim } from './reclaim.js';
import { build as buildMunmap } from './rcu-free.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';

function row(variant: string, question: string, expect: Scenario['expect'], source: string, config: ScenarioConfig, build: Scenario['build']): Scenario {
  return { id: `seqcount/${variant}`, family: 'seqcount', variant, question, expect, source, config, build };
}

const COLLAPSE = 'With a sequence count instead of IRQ-off (and no pmd recheck), can GUP-fast still pin a page khugepaged collapsed?';
const MUNMAP = 'With a sequence count instead of IRQ-off, can GUP-fast read a page table that munmap freed (arm64, RCU table free)?';
const RECLAIM = 'With a sequence count instead of IRQ-off (and no pte recheck), can GUP-fast still return a page reclaim freed?';

export const seqcount: Scenario[] = [
  withFlip(
    row('collapse', COLLAPSE, 'verified', 'the count is odd from before the pmd is cleared until the huge pmd is set',
      { arch: 'x86-64', kernel: 'v5.19', patches: ['+gup-seqcount'] }, buildCollapse),
    { patches: ['-gup-seqcount'], mutations: ['gup_fast:irq_off'], why: 'the proposal: remove the count, leave IRQs on (the count is what replaces IRQ-off)' },
  ),
  row('collapse-late-bump', COLLAPSE, 'violated', 'a writer that bumps the count only around set_pmd_at leaves the isolate/copy window open',
    { arch: 'x86-64', kernel: 'v5.19', patches: ['+gup-seqcount', '+seqcount-late-bump'] }, buildCollapse),
  withFlip(
    row('reclaim', RECLAIM, 'verified', 'the count moves around try_to_unmap: a reference taken on a freed-and-reused page is undone',
      { arch: 'arm64', kernel: 'v6.6', patches: ['+gup-seqcount', '-gup-pte-recheck'] }, buildReclaim),
    { patches: ['-gup-seqcount'], mutations: ['gup_fast:irq_off'], why: 'the proposal: remove the count, leave IRQs on (the count is what replaces IRQ-off)' },
  ),
  row('munmap-arm64', MUNMAP, 'violated', 'without IRQ-off nothing holds off the RCU grace period between the pmd read and pte_offset_map\'s rcu_read_lock',
    { arch: 'arm64', kernel: 'v6.6', patches: ['+gup-seqcount'] }, (c) => buildMunmap(c)),
  withFlip(
    row('collapse-arm64', COLLAPSE, 'verified', 'the count does not depend on how the arch flushes TLBs',
      { arch: 'arm64', kernel: 'v5.19', patches: ['+gup-seqcount'] }, buildCollapse),
    { patches: ['-gup-seqcount'], mutations: ['gup_fast:irq_off'], why: 'the proposal: remove the count, leave IRQs on (the count is what replaces IRQ-off)' },
  ),
];
