/**
 * collapse: can GUP-fast return a 4K page that khugepaged has just copied into a THP and
 * discarded? (Yang Shi, 2022: 70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP
 * collapse"; bedf03416913; Jann Horn's 2ba99c5e0881.)
 *
 * CPU 0 runs the process: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of the first page of a
 * PMD range mapped by small pages. CPU 1 runs khugepaged collapsing that range. With
 * `config.cpus` > 2, the extra CPUs run the process too, each pinning its own page of the range.
 */
import { mapAnonSmall } from '../kernel/boot.js';
import { FOLL_PIN, FOLL_WRITE, gup_fast_fallback } from '../kernel/mm/gup.js';
import { khugepaged_collapse } from '../kernel/mm/khugepaged.js';
import type { Ctx } from '../kernel/kernel.js';
import { PAGE_SIZE } from '../machine/mmu.js';
import type { Scenario, ScenarioConfig } from './scenario.js';
import { bootFor, makeWorld } from './world.js';

const QUESTION = 'Can GUP-fast return a 4K page that khugepaged has just copied into a THP and discarded?';

export function build(config: ScenarioConfig) {
  const cpus = config.cpus ?? 2;
  const walkers = [0, ...Array.from({ length: cpus - 2 }, (_, i) => i + 2)];
  const k = bootFor(config, { cpus, mmCpus: walkers, frames: 24 + 8 * k_extra(config) });
  const start = k.machine.geometry.size(2); // the second PMD range: PMD-aligned, not address 0
  const npages = k.machine.geometry.entries(1);
  mapAnonSmall(k, start, npages);
  return makeWorld(k, [
    ...walkers.map((cpu, i) => ({ name: `cpu${cpu}`, cpu, run: (c: Ctx) => gup_fast_fallback(c, start + (i % npages) * PAGE_SIZE, 1, FOLL_PIN | FOLL_WRITE) })),
    { name: 'cpu1', cpu: 1, run: (c: Ctx) => khugepaged_collapse(c, start) },
  ]);
}

/** Frames beyond the default a larger geometry needs (a THP of 2^bits pages, and the copies). */
function k_extra(config: ScenarioConfig): number {
  const bits = config.geometry?.bits.pte ?? 2;
  return Math.max(0, (1 << bits) - 4) * 2;
}

function row(variant: string, expect: Scenario['expect'], source: string, config: ScenarioConfig, question = QUESTION): Scenario {
  return { id: `collapse/${variant}`, family: 'collapse', variant, question, expect, source, config, build };
}

export const collapse: Scenario[] = [
  row('arm64-no-recheck', 'violated', '70cbc3cc78a9 commit message: the race on arches without IPI on TLB flush',
    { arch: 'arm64', kernel: 'v5.19', patches: [] }),
  row('arm64-pmd-recheck', 'verified', '70cbc3cc78a9 (v6.0): GUP-fast backs off when the pmd changed',
    { arch: 'arm64', kernel: 'v6.0', patches: [] }),
  row('x86-64-pmd-recheck', 'verified', '70cbc3cc78a9 (v6.0)', { arch: 'x86-64', kernel: 'v6.0', patches: [] }),
  row('x86-64-ipi-no-recheck', 'verified', '70cbc3cc78a9 commit message: IPI-based TLB flush serializes against IRQ-off GUP-fast',
    { arch: 'x86-64', kernel: 'v5.19', patches: [] }),
  row('powerpc-ipi-no-recheck', 'verified', 'radix__pmdp_collapse_flush before bedf03416913 sends an IPI (serialize_against_pte_lookup)',
    { arch: 'powerpc', kernel: 'v5.19', patches: [] }),
  row('powerpc-no-ipi-no-recheck', 'violated', 'bedf03416913 without 70cbc3cc78a9: the reason the two went in as one series',
    { arch: 'powerpc', kernel: 'v5.19', patches: ['+ppc-radix-no-collapse-ipi'] }),
  row('arm64-sync-ipi-no-recheck', 'verified', "2ba99c5e0881 (v6.1): tlb_remove_table_sync_one's IPI waits out IRQ-off GUP-fast even without the pmd recheck",
    { arch: 'arm64', kernel: 'v6.1', patches: ['-gup-pmd-recheck'] },
    'Does the v6.1 sync IPI alone (pmd recheck reverted) keep GUP-fast from pinning a collapsed page on arm64?'),
];

