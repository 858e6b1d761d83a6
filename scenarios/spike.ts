import { defineScenario } from '../harness/index.ts';
import { OPENRIDE_MIX, WARMUP, k6Twin, requestMix } from './journeys.ts';
import { serverErrorRatioBelow } from './slos.ts';

/** Baseline, then ten times the rate at once, held, then back: does the system absorb it and recover? */
export default defineScenario({
  name: 'spike',
  description: 'OpenRide mix: 15 req/s → 150 req/s instantly, held 30 s, back to 15 req/s',
  executor: {
    type: 'ramping-arrival-rate',
    startRate: 15,
    timeUnit: '1s',
    stages: [
      { duration: '30s', target: 15 },
      { duration: '1s', target: 150 },
      { duration: '30s', target: 150 },
      { duration: '1s', target: 15 },
      { duration: '30s', target: 15 },
    ],
    preAllocatedVUs: 30,
    maxVUs: 300,
  },
  workload: requestMix(OPENRIDE_MIX),
  warmup: WARMUP,
  k6: k6Twin('spike'),
  thresholds: {
    http_req_failed: ['rate<0.05'],
    http_req_duration: ['p(99)<2000'],
  },
  slos: [serverErrorRatioBelow(0.05)],
  recovery: { within: '15s' },
  alerts: 'ignore',
});
