import { defineScenario } from '../harness/index.ts';
import { OPENRIDE_MIX, WARMUP, k6Twin, requestMix } from './journeys.ts';
import { poolWaitingBelow, replicaLagBelow, serverErrorRatioBelow, serverP95Below } from './slos.ts';

/** Long and steady: latency or memory that drifts over time shows here. */
export default defineScenario({
  name: 'soak',
  description: 'OpenRide mix at a constant 40 req/s for 20 min',
  executor: { type: 'constant-arrival-rate', rate: 40, timeUnit: '1s', duration: '20m', preAllocatedVUs: 20, maxVUs: 100 },
  workload: requestMix(OPENRIDE_MIX),
  warmup: WARMUP,
  k6: k6Twin('soak'),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<300', 'p(99)<800'],
    dropped_iterations: ['count==0'],
  },
  slos: [serverP95Below(0.3), serverErrorRatioBelow(0.01), poolWaitingBelow(10), replicaLagBelow(2)],
  drift: { maxLatencyGrowth: 2, maxHeapGrowthMB: 20 },
  alerts: 'none',
});
