import { defineScenario } from '../harness/index.ts';
import { WARMUP, k6Twin, requestMix } from './journeys.ts';
import { poolWaitingBelow, serverErrorRatioBelow, serverP95Below } from './slos.ts';

/** The data-layer seed's write-heavy profile: holds and payments on the primary. */
export default defineScenario({
  name: 'write-heavy',
  description: 'holds and payments (80 % writes) at 40 req/s for 1 min',
  executor: { type: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '1m', preAllocatedVUs: 20, maxVUs: 150 },
  workload: requestMix({ book: 50, pay: 30, search: 20 }),
  warmup: WARMUP,
  k6: k6Twin('write-heavy'),
  thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{endpoint:book}': ['p(95)<500'], 'http_req_duration{endpoint:pay}': ['p(95)<500'] },
  slos: [serverP95Below(0.5), serverErrorRatioBelow(0.01), poolWaitingBelow(20)],
  alerts: 'none',
  // Every booking and payment is recorded and checked against the database afterwards.
  invariants: true,
});
