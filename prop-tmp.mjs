import fc from 'fast-check';
import { finalStates, programs } from '/work/main/dist/test/dpor.test.js';
let bad = 0;
for (let seed = 100; seed < 112; seed++) {
  try {
    fc.assert(fc.property(programs, (progs) => { const n = finalStates(progs, 'none'); fc.pre(n !== null); const d = finalStates(progs, 'dpor'); if (!d || [...d].sort().join() !== [...n].sort().join()) throw new Error('mismatch ' + JSON.stringify(progs)); }), { numRuns: 200, seed });
  } catch (e) { bad++; console.log('seed', seed, e.message.split('\n').slice(0,3).join(' ')); }
}
console.log('bad seeds', bad);
