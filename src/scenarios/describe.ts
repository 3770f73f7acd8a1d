/**
 * What `mmrace list --paths` says about the registry: each layout's, setup's and path's
 * arguments with their types, defaults and allowed values, read off the zod schema through its
 * JSON Schema (z.toJSONSchema, input side: what a scenario file may write).
 */
import { z } from 'zod';
import { LAYOUTS, PATHS, SETUPS } from './paths.js';

export interface ArgInfo {
  name: string;
  /** 'address', 'integer', 'boolean', 'string', 'list of string', ... */
  type: string;
  required: boolean;
  default?: unknown;
  /** the values it (or each item of a list) may take, when they are a fixed set */
  values?: unknown[];
}

export interface RegistryEntry {
  kind: 'layout' | 'setup' | 'path';
  name: string;
  description: string;
  /** paths: runs in the process (its CPU in mm_cpumask) rather than as a kernel thread */
  process?: boolean;
  args: ArgInfo[];
  /** the arguments' JSON Schema */
  schema: Record<string, unknown>;
}

interface Json {
  type?: string;
  anyOf?: Json[];
  enum?: unknown[];
  items?: Json;
  pattern?: string;
  default?: unknown;
  properties?: Record<string, Json>;
  required?: string[];
}

/** Address (src/scenarios/paths.ts): a whole number or a '0x...' string */
const isAddress = (s: Json) => !!s.anyOf?.some((x) => x.type === 'string' && x.pattern?.startsWith('^0x'));

function typeOf(s: Json): string {
  if (isAddress(s)) return 'address';
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'anything'}`;
  if (s.anyOf) return s.anyOf.map(typeOf).join(' or ');
  return s.type ?? 'anything';
}

export function describeArgs(schema: z.ZodType): { args: ArgInfo[]; schema: Record<string, unknown> } {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Json & { $schema?: string };
  const required = new Set(json.required ?? []);
  const args = Object.entries(json.properties ?? {}).map(([name, s]): ArgInfo => {
    const values = s.enum ?? s.items?.enum;
    return { name, type: typeOf(s), required: required.has(name), ...(s.default !== undefined ? { default: s.default } : {}), ...(values ? { values } : {}) };
  });
  return { args, schema: json as Record<string, unknown> };
}

export function registry(): RegistryEntry[] {
  return [
    ...[...LAYOUTS.values()].map((l) => ({ kind: 'layout' as const, name: l.name, description: l.description, ...describeArgs(l.args) })),
    ...[...SETUPS.values()].map((x) => ({ kind: 'setup' as const, name: x.name, description: x.description, ...describeArgs(x.args) })),
    ...[...PATHS.values()].map((p) => ({ kind: 'path' as const, name: p.name, description: p.description, process: !!p.process, ...describeArgs(p.args) })),
  ];
}

/** One entry as text: `name {addr, pages = 1, flags = [FOLL_PIN]}`, its description, and the
 * allowed values of the arguments that have a fixed set. */
export function registryText(e: RegistryEntry): string {
  const show = (v: unknown) => (Array.isArray(v) ? `[${v.join(', ')}]` : String(v));
  const args = e.args.map((a) => (a.default !== undefined ? `${a.name} = ${show(a.default)}` : a.name));
  const lines = [`${e.kind.padEnd(7)} ${e.name.padEnd(22)} {${args.join(', ')}}${e.process ? '  (process)' : ''}`, `        ${e.description}`];
  for (const a of e.args) if (a.values) lines.push(`        ${a.name}: ${a.type.startsWith('list') ? 'a list of ' : 'one of '}${a.values.join(', ')}`);
  return lines.join('\n');
}
