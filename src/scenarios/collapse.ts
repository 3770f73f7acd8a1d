/**
 * collapse: can GUP-fast return a 4K page that khugepaged has just copied into a THP and
 * discarded? (Yang Shi, 2022: 70cbc3cc78a9 "mm: gup: fix the fast GUP race against THP
 * collapse"; bedf03416913; Jann Horn's 2ba99c5e0881.)
 *
 * CPU 0 runs the process: pin_user_pages_fast(FOLL_PIN | FOLL_WRITE) of the first page of a
 * PMD range mapped by small pages. CPU 1 runs khugepaged collapsing that range. With
 * `config.cpus` > 2, the extra CPUs run the process too, each pinning its own page of the range.
 */
import { z } from 'zod';
import { DEFAULT_GEOMETRY, Geometry, khugepaged_collapse, PAGE_SIZE, PMD, PTE } from '../kernel/index.js';
import './builtins.js';
import { Address, type ScenarioSpec, buildFromSpec, definePath, resolveSpec } from './paths.js';
import { type Scenario, type ScenarioConfig, withFlip } from './scenario.js';

definePath('khugepaged_collapse', {
  description: 'khugepaged collapsing the PMD range at addr (mapped by small pages) into a THP',
  args: z.object({ addr: Address }).strict(),
  check: (a, env) => {
    // hugepage_vma_revalidate / thp_vma_suitable_order: one VMA covers the whole PMD range
    const pages = env.geometry.entries(PTE);
    env.requireRange(a.addr, 1, ['addr'], { align: 'pmd' });
    env.requireRange(a.addr, pages, ['addr']);
    env.requireLayouts(a.addr, pages, ['addr'], ['anon-small', 'anon-thp'], 'khugepaged collapses anonymous memory only');
  },
  run: (c, a) => khugepaged_collapse(c, a.addr),
});

const QUESTION = 'Can GUP-fast return a 4K page that khugepaged has just copied into a THP and discarded?';

/** The second PMD range (PMD-aligned, not address 0) mapped by small pages; CPU 0 pins its first
 * page, CPU 1 collapses it, CPUs 2.. pin the next pages. With the default geometry and two CPUs
 * this is examples/collapse.yaml. */
export function specFor(config: ScenarioConfig): ScenarioSpec {
  const g = new Geometry(config.geometry ?? DEFAULT_GEOMETRY);
  const start = g.size(PMD);
  const npages = g.entries(PTE);
  const cpus = config.cpus ?? 2;
  const pin = (i: number) => ({ gup_fast: { addr: start + (i % npages) * PAGE_SIZE, pages: 1, flags: ['FOLL_PIN', 'FOLL_WRITE'] } });
  return {
    frames: 24 + 8 * k_extra(config),
    map: [{ 'anon-small': { at: start } }],
    cpus: [pin(0), { khugepaged_collapse: { addr: start } }, ...Array.from({ length: cpus - 2 }, (_, i) => pin(i + 1))],
    // the walkers' threads first, then khugepaged's (the order DPOR tries them in)
    threadOrder: [0, ...Array.from({ length: cpus - 2 }, (_, i) => i + 2), 1],
  };
}

const resolved = new Map<string, { spec: ScenarioSpec; r: ReturnType<typeof resolveSpec> }>();
export function build(config: ScenarioConfig) {
  const key = JSON.stringify([config.cpus, config.geometry]);
  let e = resolved.get(key);
  if (!e) {
    const spec = specFor(config);
    e = { spec, r: resolveSpec(spec) };
    resolved.set(key, e);
  }
  return buildFromSpec(e.spec, config, e.r);
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
  withFlip(
    row('arm64-pmd-recheck', 'verified', '70cbc3cc78a9 (v6.0): GUP-fast backs off when the pmd changed',
      { arch: 'arm64', kernel: 'v6.0', patches: [] }),
    { patches: ['-gup-pmd-recheck'], why: '70cbc3cc78a9: GUP-fast rechecks the pmd after pinning' },
  ),
  withFlip(
    row('x86-64-pmd-recheck', 'verified', '70cbc3cc78a9 (v6.0)', { arch: 'x86-64', kernel: 'v6.0', patches: [] }),
    { patches: ['-gup-pmd-recheck'], mutations: ['gup_fast:irq_off'], why: 'the pmd recheck; the flush IPI also holds off IRQ-off GUP-fast on x86-64, so IRQs go on too (the revert alone stays verified)' },
  ),
  withFlip(
    row('x86-64-ipi-no-recheck', 'verified', '70cbc3cc78a9 commit message: IPI-based TLB flush serializes against IRQ-off GUP-fast',
      { arch: 'x86-64', kernel: 'v5.19', patches: [] }),
    { mutations: ['gup_fast:irq_off'], why: 'the collapse flush IPI waits for IRQ-off GUP-fast' },
  ),
  withFlip(
    row('powerpc-ipi-no-recheck', 'verified', 'radix__pmdp_collapse_flush before bedf03416913 sends an IPI (serialize_against_pte_lookup)',
      { arch: 'powerpc', kernel: 'v5.19', patches: [] }),
    { patches: ['+ppc-radix-no-collapse-ipi'], why: 'bedf03416913 drops the IPI of radix__pmdp_collapse_flush' },
  ),
  row('powerpc-no-ipi-no-recheck', 'violated', 'bedf03416913 without 70cbc3cc78a9: the reason the two went in as one series',
    { arch: 'powerpc', kernel: 'v5.19', patches: ['+ppc-radix-no-collapse-ipi'] }),
  withFlip(
    row('arm64-sync-ipi-no-recheck', 'verified', "2ba99c5e0881 (v6.1): tlb_remove_table_sync_one's IPI waits out IRQ-off GUP-fast even without the pmd recheck",
      { arch: 'arm64', kernel: 'v6.1', patches: ['-gup-pmd-recheck'] },
      'Does the v6.1 sync IPI alone (pmd recheck reverted) keep GUP-fast from pinning a collapsed page on arm64?'),
    { patches: ['-khugepaged-sync-ipi'], why: "2ba99c5e0881's tlb_remove_table_sync_one IPI" },
  ),
];

