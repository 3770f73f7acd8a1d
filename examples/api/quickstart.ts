/**
 * The package in a few lines: a scenario composed from built-in paths (GUP-fast pinning a page
 * while khugepaged collapses its range), checked before and after the fix that made GUP-fast
 * recheck the pmd (70cbc3cc78a9, v6.0); and the same question asked of a scenario file.
 *
 *   in a project that installed mmrace: npx tsc -p . && node out/quickstart.js [file.yaml]
 *   in this repo, after npx tsc -p .: npx tsc -p examples/api && node examples/api/out/quickstart.js examples/sequence.yaml
 */
import { type CheckResult, type Counterexample, check, defineScenario, loadScenarioFile } from 'mmrace';

const collapse = (kernel: string) =>
  defineScenario({
    id: 'quickstart/collapse',
    question: 'Can GUP-fast return a page khugepaged has just collapsed?',
    arch: 'arm64',
    kernel,
    map: [{ 'anon-small': { at: 0x4000 } }],
    cpus: [{ gup_fast: { addr: 0x4000, flags: ['FOLL_PIN', 'FOLL_WRITE'] } }, { khugepaged_collapse: { addr: 0x4000 } }],
  });

function summary(r: CheckResult): string {
  const cx: Counterexample | null = r.trace;
  return `${r.id} ${r.verdict}${r.property ? ` (${r.property})` : ''}${cx ? `, counterexample of ${cx.steps.length} steps` : ''}`;
}

for (const kernel of ['v5.19', 'v6.0']) console.log(`${kernel}: ${summary(check(collapse(kernel)))}`);
const file = process.argv[2];
if (file) console.log(`${file}: ${summary(check(loadScenarioFile(file)))}`);
