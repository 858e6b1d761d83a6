import { defineScenario } from '../harness/index.ts';
import { OPENRIDE_MIX, WARMUP, k6Twin, requestMix } from './journeys.ts';
import { poolWaitingBelow, serverErrorRatioBelow, serverP95Below } from './slos.ts';

/** A gradual ramp of the OpenRide mix to its target rate, then a hold at the target. */
export default defineScenario({
  name: 'ramp',
  description: 'OpenRide mix ramped 0 → 150 req/s over 2 min, held 1 min',
  executor: { type: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', stages: [{ duration: '2m', target: 150 }, { duration: '1m', target: 150 }], preAllocatedVUs: 20, maxVUs: 200 },
  workload: requestMix(OPENRIDE_MIX),
  warmup: WARMUP,
  k6: k6Twin('ramp'),
  thresholds: {
    http_req_failed: ['rate<0.01'],
    http_req_duration: ['p(95)<500'],
    dropped_iterations: [{ threshold: 'count<10', abortOnFail: true, delayAbortEval: '10s' }],
  },
  slos: [serverP95Below(0.5), serverErrorRatioBelow(0.01), poolWaitingBelow(20)],
  alerts: 'none',
});
