/** The arch profiles by name. */
import type { Arch } from './arch.js';
import { arm64, arm64_no_rcu_table_free } from './arm64.js';
import { powerpc } from './powerpc.js';
import { x86_32_pae } from './x86_32_pae.js';
import { x86_64, x86_64_invlpgb, x86_64_invlpgb_dyn_asid, x86_64_invlpgb_no_rcu_table_free, x86_64_rcu } from './x86_64.js';

export const ARCHES: Record<string, Arch> = {
  'x86-64': x86_64,
  'x86-64-rcu': x86_64_rcu,
  arm64,
  'arm64-no-rcu-table-free': arm64_no_rcu_table_free,
  powerpc,
  'x86-32-pae': x86_32_pae,
  'x86-64-invlpgb': x86_64_invlpgb,
  'x86-64-invlpgb-dyn-asid': x86_64_invlpgb_dyn_asid,
  'x86-64-invlpgb-no-rcu-table-free': x86_64_invlpgb_no_rcu_table_free,
};

export function archByName(name: string): Arch {
  const a = ARCHES[name];
  if (!a) throw new Error(`unknown arch profile '${name}' (known: ${Object.keys(ARCHES).join(', ')})`);
  return a;
}
