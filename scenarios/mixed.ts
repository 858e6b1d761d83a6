import { defineScenario } from '../harness/index.ts';
import { WARMUP, k6Twin, requestMix } from './journeys.ts';
import { serverErrorRatioBelow, serverP95Below } from './slos.ts';

/** The data-layer seed's mixed profile: 70 % reads, 30 % writes. */
export default defineScenario({
  name: 'mixed',
  description: '70 % reads / 30 % writes at 60 req/s for 1 min',
  executor: { type: 'constant-arrival-rate', rate: 60, timeUnit: '1s', duration: '1m', preAllocatedVUs: 20, maxVUs: 150 },
  workload: requestMix({ search: 45, nearby: 15, get_booking: 10, book: 20, pay: 10 }),
  warmup: WARMUP,
  k6: k6Twin('mixed'),
  thresholds: { http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<500'] },
  slos: [serverP95Below(0.5), serverErrorRatioBelow(0.01)],
  alerts: 'none',
});
