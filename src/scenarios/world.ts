/** Turning a booted kernel and per-CPU programs into the explorer's World. */
import { archByName, boot, type BootConfig, Ctx, type Kernel, type Program, resolvePatches, snapshot, symbol, type Violation } from '../kernel/index.js';
import { finalOracles } from '../explore/oracles.js';
import type { World } from '../explore/runtime.js';
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

/** `oracles`: the scenario's own final-state properties, checked after the built-in ones. */
export function makeWorld(
  k: Kernel,
  programs: Array<{ name: string; cpu: number; path?: string; role?: string; run: (k: Ctx) => Program<unknown> }>,
  oracles?: () => Violation | null,
): World {
  return {
    machine: k.machine,
    programs: programs.map((p) => ({ name: p.name, cpu: p.cpu, path: p.path, role: p.role, program: p.run(new Ctx(k, p.cpu)) })),
    symbol: (addr) => symbol(k, addr),
    finalCheck: () => finalOracles(k) ?? oracles?.() ?? null,
    observations: () => k.ghost.observations,
    snapshot: () => snapshot(k),
  };
}
