import { breakpointStages, defineScenario } from '../harness/index.ts';
import { WARMUP, k6Twin, requestMix } from './journeys.ts';
import { poolWaitingBelow, serverErrorRatioBelow, serverP95Below } from './slos.ts';

/**
 * Stress / breakpoint: the mixed 70/30 workload stepped up 40 iterations/s at a time, each step
 * held 30 s, until a step's error rate passes 10 % or its p95 passes 5 s. The knee (the highest
 * rate with every SLO green) is the stack's capacity on this machine.
 */
export default defineScenario({
  name: 'breakpoint',
  description: 'mixed 70/30, stepped 40 → 600 req/s (+40 every 32 s) until errors > 10 % or p95 > 5 s; reports the knee',
  executor: { type: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', stages: breakpointStages({ from: 40, to: 600, step: 40, hold: '30s' }), preAllocatedVUs: 50, maxVUs: 600 },
  workload: requestMix({ search: 45, nearby: 15, get_booking: 10, book: 20, pay: 10 }),
  warmup: WARMUP,
  k6: k6Twin('breakpoint'),
  breakpoint: { stopAt: { errorRate: 0.1, p95: '5s' }, kneeAtLeast: 10 },
  // Judged per step (the knee), not over the run: by design the last step breaks.
  slos: [serverP95Below(0.5), serverErrorRatioBelow(0.01), poolWaitingBelow(10)],
  alerts: 'ignore',
  gracefulStop: '10s',
});
