import { defineScenario } from '../harness/index.ts';
import { WARMUP, bookingFlow, k6Twin } from './journeys.ts';
import { serverErrorRatioBelow, serverP95Below } from './slos.ts';

/** A short, gentle run of the booking journey: does the whole path work and stay fast? */
export default defineScenario({
  name: 'smoke',
  description: 'booking journey at 5 iterations/s for 30 s',
  executor: { type: 'constant-arrival-rate', rate: 5, timeUnit: '1s', duration: '30s', preAllocatedVUs: 10, maxVUs: 50 },
  workload: bookingFlow,
  warmup: WARMUP,
  k6: k6Twin('smoke'),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500', 'p(99)<1000'],
    'http_req_duration{endpoint:search}': ['p(95)<300'],
    checks: ['rate>0.99'],
    dropped_iterations: ['count==0'],
  },
  slos: [serverP95Below(0.5), serverErrorRatioBelow(0.01)],
  alerts: 'none',
  // Every booking and payment is recorded and checked against the database afterwards.
  invariants: true,
});
