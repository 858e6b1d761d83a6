// Boot benchmark: the full default stack up, migrated, seeded and ready, N times per provider
// (default 3): local always, containers too when a Docker engine answers. Prints each phase's
// finish time, the median per provider, and containers' median as a ratio of local's, both
// measured in the same run. Target for local: under 5 s on a 2-core machine.
// Usage: npm run bench:boot [-- --runs 5] [-- --provider local|containers]
import { parseArgs } from 'node:util';
import { dockerAnswers, harnessDefaults, up, type Provider } from '../harness/index.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, provider: { type: 'string' } } });
const runs = Number(values.runs);
const providers: Provider[] = values.provider ? [values.provider as Provider] : (await dockerAnswers()) ? ['local', 'containers'] : ['local'];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const medians = new Map<Provider, number>();

for (const provider of providers) {
  const totals: number[] = [];
  const seeds: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const stack = await up({ ...harnessDefaults, provider }, provider);
    const total = performance.now() - started;
    totals.push(total);
    seeds.push(stack.topology.dataset.seedMs);
    const phases = Object.entries(stack.timings).map(([phase, ms]) => `${phase} ${ms}`).join(', ');
    console.log(`${provider} run ${i + 1}: ready in ${(total / 1000).toFixed(2)} s  (phase finished at, ms: ${phases})`);
    await stack.stop();
  }
  medians.set(provider, median(totals));
  const counts = harnessDefaults.fixtures;
  console.log(`boot, ${provider} (full stack, seeded ${counts.routes} routes x ${counts.stopsPerRoute} stops, ${counts.drivers} drivers, ${counts.riders} riders):`);
  console.log(`  median ${(median(totals) / 1000).toFixed(2)} s over ${runs} runs (min ${(Math.min(...totals) / 1000).toFixed(2)} s, max ${(Math.max(...totals) / 1000).toFixed(2)} s)${provider === 'local' ? `; target < 5 s: ${median(totals) < 5000 ? 'met' : 'MISSED'}` : ''}`);
  console.log(`  seeding (generate + COPY + ANALYZE) median ${median(seeds)} ms`);
}
if (medians.has('local') && medians.has('containers')) {
  console.log(`containers / local boot time: ${(medians.get('containers')! / medians.get('local')!).toFixed(2)}x`);
}
