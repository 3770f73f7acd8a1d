/** Turning a booted kernel and per-CPU programs into the explorer's World. */
import type { Program } from '../machine/effects.js';
import { finalOracles } from '../explore/oracles.js';
import type { World } from '../explore/runtime.js';
import { archByName } from '../kernel/arch/index.js';
import { type BootConfig, boot } from '../kernel/boot.js';
import { symbol } from '../kernel/introspect.js';
import { snapshot } from '../kernel/snapshot.js';
import { Ctx, type Kernel } from '../kernel/kernel.js';
import { resolvePatches } from '../kernel/patches.js';
import type { ScenarioConfig } from './scenario.js';

export function bootFor(config: ScenarioConfig, rest: Omit<BootConfig, 'arch' | 'patches'>): Kernel {
  return boot({
    arch: archByName(config.arch),
    patches: resolvePatches(config.kernel, config.patches),
    mutations: new Set(config.mutations ?? []),
    geometry: config.geometry,
    ...rest,
  });
}

export function makeWorld(k: Kernel, programs: Array<{ name: string; cpu: number; path?: string; run: (k: Ctx) => Program<unknown> }>): World {
  return {
    machine: k.machine,
    programs: programs.map((p) => ({ name: p.name, cpu: p.cpu, path: p.path, program: p.run(new Ctx(k, p.cpu)) })),
    symbol: (addr) => symbol(k, addr),
    finalCheck: () => finalOracles(k),
    observations: () => k.ghost.observations,
    snapshot: () => snapshot(k),
  };
}
