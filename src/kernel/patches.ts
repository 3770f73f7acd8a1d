/**
 * Fixes, reverts and proposed designs as named toggles, each read by the one modeled function
 * it changes, and kernel profiles as named sets of them.
 */

export interface Patch {
  name: string;
  commit: string;
  title: string;
  /** First release that has it, or 'proposal' for designs argued on the list. */
  release: string;
  /** What turning it on changes in the model. */
  effect: string;
}

export const PATCHES: Record<string, Patch> = {
  'gup-pte-recheck': {
    name: 'gup-pte-recheck',
    commit: '2667f50e8b81',
    title: 'mm: introduce a general RCU get_user_pages_fast()',
    release: 'v3.18',
    effect: 'gup_fast_pte_range takes its reference with add-unless-zero and re-reads the pte after it',
  },
  'gup-pmd-recheck': {
    name: 'gup-pmd-recheck',
    commit: '70cbc3cc78a9',
    title: 'mm: gup: fix the fast GUP race against THP collapse',
    release: 'v6.0',
    effect: 'gup_fast_pte_range also re-reads *pmdp after taking the reference and backs off if it changed',
  },
  'ppc-radix-no-collapse-ipi': {
    name: 'ppc-radix-no-collapse-ipi',
    commit: 'bedf03416913',
    title: "powerpc/64s/radix: don't need to broadcast IPI for radix pmd collapse flush",
    release: 'v6.0',
    effect: 'radix__pmdp_collapse_flush no longer calls serialize_against_pte_lookup (the IPI)',
  },
  'khugepaged-sync-ipi': {
    name: 'khugepaged-sync-ipi',
    commit: '2ba99c5e0881',
    title: 'mm/khugepaged: fix GUP-fast interaction by sending IPI',
    release: 'v6.1',
    effect: 'collapse_huge_page calls tlb_remove_table_sync_one() after pmdp_collapse_flush',
  },
  'gup-pmd-lockless': {
    name: 'gup-pmd-lockless',
    commit: '024d232ae4fc',
    title: 'mm/gup: Fix the lockless PMD access (series of 024d232ae4fc "mm: Fix pmd_read_atomic()")',
    release: 'v6.2',
    effect: 'gup_fast_pmd_range reads the pmd with pmdp_get_lockless instead of READ_ONCE(*pmdp) (two unordered 32-bit loads on x86-32 PAE)',
  },
};

/** Kernel profiles: a release has every patch that first appeared in it or before it
 * (proposals never). Any 'vX.Y' names a profile; these are the ones the catalog uses. */
export const KERNELS = ['v4.19', 'v5.10', 'v5.19', 'v6.0', 'v6.1', 'v6.6', 'v6.12', 'v6.18'];

function version(v: string): number[] | null {
  const m = /^v(\d+)\.(\d+)$/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function atOrBefore(a: number[], b: number[]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] <= b[1]);
}

export function kernelProfile(kernel: string): Set<string> {
  const v = version(kernel);
  if (!v) throw new Error(`unknown kernel profile '${kernel}' (a release like v6.1; the catalog uses ${KERNELS.join(', ')})`);
  const set = new Set<string>();
  for (const p of Object.values(PATCHES)) {
    const r = version(p.release);
    if (r && atOrBefore(r, v)) set.add(p.name);
  }
  return set;
}

/** A kernel profile with patches added (+name) or reverted (-name). */
export function resolvePatches(kernel: string, changes: string[] = []): Set<string> {
  const set = kernelProfile(kernel);
  for (const c of changes) {
    const name = c.slice(1);
    if (!PATCHES[name]) throw new Error(`unknown patch '${name}' (known: ${Object.keys(PATCHES).join(', ')})`);
    if (c[0] === '+') set.add(name);
    else if (c[0] === '-') set.delete(name);
    else throw new Error(`patch change '${c}' must start with + or -`);
  }
  return set;
}
