import { dependent, explore, type Root } from '../src/explore/dpor.js';
import { Execution } from '../src/explore/runtime.js';
import type { Footprint } from '../src/machine/machine.js';
import { world, finalStates } from './dpor.test.js';
const progs = JSON.parse(process.argv[2]);
const items: Root[] = [];
const exec = new Execution(world(progs), false);
const done: Array<[number, Footprint]> = [];
for (const t of exec.enabled()) { const fp = exec.footprint(t); items.push({ prefix: [t], sleep: new Map(done.filter(([u, f]) => !dependent(f, fp))) }); done.push([t, fp]); }
for (const red of ['dpor', 'optimal', 'none'] as const) {
  const whole = finalStates(progs, red)!;
  const union = new Set<string>();
  for (const root of items) { const part = finalStates(progs, red, root)!; console.log(red, root.prefix, [...root.sleep.keys()], part.size); for (const x of part) union.add(x); }
  console.log(red, 'whole', whole.size, 'union', union.size, [...whole].filter((x) => !union.has(x)));
}
{
  const root = items[2];
  const d = finalStates(progs, 'dpor', root)!, o = finalStates(progs, 'optimal', root)!;
  console.log('ONLY-DPOR', JSON.stringify([...d].filter((x) => !o.has(x))));
  const { explore: ex } = await import('../src/explore/dpor.js');
  ex(() => world(progs), { reduction: 'optimal', root, stopAtViolation: false, onExecution: (_e, s) => console.log('OPT', s.join(' ')) });
  ex(() => world(progs), { reduction: 'dpor', root, stopAtViolation: false, onExecution: (_e, s) => console.log('FG ', s.join(' ')) });
}
