/**
 * collapse: can GUP-fast return a 4K page that khugepaged has just copied into a THP and
 * discarded? (Yang Shi, 2022: 70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP
 * collapse"; bedf03416913; Jann Horn's 2ba99c5e0881.)
 *
 * CPU 0 runs the process: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of the first page of a
 * PMD range mapped by small pages. CPU 1 runs khugepaged collapsing that range.
 */
import { z } from 'zod';
import { khugepaged_collapse } from '../kernel/mm/khugepaged.js';
import './builtins.js';
import { Address, type ScenarioSpec, buildFromSpec, definePath, resolveSpec } from './paths.js';
import type { Scenario, ScenarioConfig } from './scenario.js';

definePath('khugepaged_collapse', {
  description: 'khugepaged collapsing the PMD range at addr (mapped by small pages) into a THP',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => void env.requireRange(a.addr, 1, ['addr'], { align: 'pmd' }),
  run: (c, a) => khugepaged_collapse(c, a.addr),
});

/** The second PMD range (PMD-aligned, not address 0) of the default geometry, mapped by small
 * pages; CPU 0 pins its first page, CPU 1 collapses it. Also examples/collapse.yaml. */
export const SPEC: ScenarioSpec = {
  map: [{ 'anon-small': { at: 0x4000 } }],
  cpus: [{ gup_fast: { addr: 0x4000, pages: 1, flags: ['FOLL_PIN', 'FOLL_WRITE'] } }, { khugepaged_collapse: { addr: 0x4000 } }],
};

const QUESTION = 'Can GUP-fast return a 4K page that khugepaged has just copied into a THP and discarded?';

let resolved: ReturnType<typeof resolveSpec> | undefined;
export function build(config: ScenarioConfig) {
  resolved ??= resolveSpec(SPEC);
  return buildFromSpec(SPEC, config, resolved);
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

