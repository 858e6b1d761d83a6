import { defineScenario } from '../harness/index.ts';
import { WARMUP, k6Twin, readRequests } from './journeys.ts';
import { serverErrorRatioBelow } from './slos.ts';

/**
 * Maximum read throughput with autocannon: a closed model, 20 connections each sending its next
 * request the moment the last answer arrives. It says how many reads per second the stack
 * serves flat out; its latencies are from the actual send (no intended time in a closed model),
 * so judge latency with the open-model scenarios. `--driver rushhour` runs the same list.
 */
export default defineScenario({
  name: 'throughput',
  description: 'reads flat out (searches 70 %, nearby 30 %) on 20 connections for 30 s, with autocannon',
  driver: 'autocannon',
  executor: { type: 'constant-vus', vus: 20, duration: '30s' },
  requests: readRequests(200, 0.7),
  warmup: WARMUP,
  k6: k6Twin('throughput'),
  thresholds: { http_req_failed: ['rate<0.01'], http_reqs: ['rate>20'] },
  slos: [serverErrorRatioBelow(0.01)],
  alerts: 'ignore',
});
