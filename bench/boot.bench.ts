// Boot benchmark: the full local stack up, migrated, seeded and ready, N times (default 3).
// Prints each phase's finish time and the median total. Target: under 5 s on a 2-core machine.
// Usage: npm run bench:boot [-- --runs 5]
import { parseArgs } from 'node:util';
import { harnessDefaults, up } from '../harness/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' } } });
const runs = Number(values.runs);
const totals: number[] = [];
const seeds: number[] = [];
for (let i = 0; i < runs; i++) {
  const started = performance.now();
  const stack = await up(harnessDefaults, 'local');
  const total = performance.now() - started;
  totals.push(total);
  seeds.push(stack.topology.dataset.seedMs);
  const phases = Object.entries(stack.timings).map(([phase, ms]) => `${phase} ${ms}`).join(', ');
  console.log(`run ${i + 1}: ready in ${(total / 1000).toFixed(2)} s  (phase finished at, ms: ${phases})`);
  await stack.stop();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { counts } = { counts: harnessDefaults.fixtures };
console.log(`boot (full local stack, seeded ${counts.routes} routes x ${counts.stopsPerRoute} stops, ${counts.drivers} drivers, ${counts.riders} riders):`);
console.log(`  median ${(median(totals) / 1000).toFixed(2)} s over ${runs} runs (min ${(Math.min(...totals) / 1000).toFixed(2)} s, max ${(Math.max(...totals) / 1000).toFixed(2)} s); target < 5 s: ${median(totals) < 5000 ? 'met' : 'MISSED'}`);
console.log(`  seeding (generate + COPY + ANALYZE) median ${median(seeds)} ms`);
