/** The properties the oracles check (DESIGN §4), each in one line, for the top of a report. */
export const PROPERTY_SUMMARY: Readonly<Record<string, string>> = {
  'stale-reference': 'GUP returned a page no longer mapped at its address',
  'pt-uaf': 'a walker read a page-table page that was freed or reused',
  refcount: "a page's count does not match its mappings and references",
  'torn-value': 'a walker used an entry value that was never stored whole',
  'orphan-page-tables': 'page tables left where no attached vma covers them',
  assertion: 'a modeled BUG_ON or VM_WARN_ON fired',
  deadlock: 'every CPU is blocked',
};

/** `property: what it means`, or the property alone when it has no summary. */
export function propertyLine(property: string): string {
  const s = PROPERTY_SUMMARY[property.replace(/^observation: /, '')];
  return s ? `${property}: ${s}` : property;
}
