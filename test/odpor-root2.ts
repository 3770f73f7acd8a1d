import { dependent, explore, type Root } from '../src/explore/dpor.js';
import { Execution } from '../src/explore/runtime.js';
import type { Footprint } from '../src/machine/machine.js';
import { world, finalStates } from './dpor.test.js';
const progs = JSON.parse(process.argv[2]);
const items: Root[] = [];
const exec = new Execution(world(progs), false);
const done: Array<[number, Footprint]> = [];
for (const t of exec.enabled()) { const fp = exec.footprint(t); items.push({ prefix: [t], sleep: new Map(done.filter(([u, f]) => !dependent(f, fp))) }); done.push([t, fp]); }
const whole = finalStates(progs, 'dpor')!;
const per = items.map((root) => ({ d: finalStates(progs, 'dpor', root)!, o: finalStates(progs, 'optimal', root)! }));
const ou = new Set(per.flatMap((x) => [...x.o]));
for (const w of whole) if (!ou.has(w)) console.log('MISSING', w, 'fg items', per.map((x, i) => x.d.has(w) ? i : -1).filter((i) => i >= 0));
per.forEach((x, i) => console.log('item', i, 'fg', x.d.size, 'opt', x.o.size, 'fg-only', [...x.d].filter((y) => !x.o.has(y)).length));
