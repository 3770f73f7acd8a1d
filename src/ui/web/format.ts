/** Formatting of values, entries and steps for the viewer. */
import type { UiStep } from '../model.js';
import type { PageSnap } from '../../kernel/snapshot.js';

export const PAGE_SIZE = 4096;

export function hex(v: number): string {
  return '0x' + v.toString(16);
}

const ENTRY_TARGET = /^(pgd|p4d|pud|pmd|pte)\[/;

export function fmtValue(target: string, v: unknown): string {
  if (typeof v === 'number') return ENTRY_TARGET.test(target) ? hex(v) : String(v);
  return String(v);
}

/** op target = read, := wrote, or read -> wrote */
export function describeStep(s: UiStep): string {
  let out = [s.op, s.target].filter(Boolean).join(' ');
  if (s.read !== undefined && s.wrote !== undefined) out += ` ${fmtValue(s.target, s.read)} → ${fmtValue(s.target, s.wrote)}`;
  else if (s.read !== undefined) out += ` = ${fmtValue(s.target, s.read)}`;
  else if (s.wrote !== undefined) out += ` := ${fmtValue(s.target, s.wrote)}`;
  return out;
}

const ENTRY_BITS: Array<[number, string]> = [
  [0x1, 'P'],
  [0x2, 'RW'],
  [0x4, 'U'],
  [0x20, 'A'],
  [0x40, 'D'],
  [0x80, 'PSE'],
];

export function entryBits(v: number): string {
  const f = v % PAGE_SIZE;
  return ENTRY_BITS.filter(([b]) => f & b).map(([, n]) => n).join(' ');
}

const PAGE_FLAGS: Array<[number, string]> = [
  [1 << 0, 'locked'],
  [1 << 2, 'referenced'],
  [1 << 3, 'uptodate'],
  [1 << 4, 'dirty'],
  [1 << 5, 'lru'],
  [1 << 6, 'head'],
  [1 << 7, 'reclaim'],
  [1 << 10, 'swapcache'],
  [1 << 11, 'anon_excl'],
];

export function pageFlags(flags: number): string {
  return PAGE_FLAGS.filter(([b]) => flags & b).map(([, n]) => n).join(' ');
}

export const LEVEL_NAMES: Record<number, string> = { 1: 'pte', 2: 'pmd', 3: 'pud', 4: 'p4d', 5: 'pgd' };

export function pageUse(p: PageSnap): string {
  if (p.use === 'table') return `table (${LEVEL_NAMES[p.level ?? 0] ?? `L${p.level}`})`;
  return p.use;
}

/** A named kernel word: locks and rwsems read as such. */
export function wordValue(name: string, v: number): string {
  if (/rwsem|mmap_lock/.test(name)) return v === 0 ? 'unlocked' : v === 0xffffffff ? 'write-locked' : `read-locked ×${v | 0}`;
  if (/lock$/.test(name)) return v === 0 ? 'unlocked' : 'locked';
  return String(v);
}
