import { defineScenario } from '../harness/index.ts';

/** The ceiling benchmark's workload (bench/load.bench.ts): GET / flat out, for worker threads to load. */
export default defineScenario({
  name: 'ceiling',
  description: 'GET / on 50 VUs',
  executor: { type: 'constant-vus', vus: 50, duration: '10s' },
  needsStack: false,
  requests: () => [{ endpoint: 'root', method: 'GET', path: '/' }],
});
