import { defineScenario } from '../harness/index.ts';
import { WARMUP, k6Twin, requestMix } from './journeys.ts';
import { cacheHitRatioAbove, replicaLagBelow, serverP95Below } from './slos.ts';

/** The data-layer seed's read-heavy profile: searches and driver lookups, served from replica and cache. */
export default defineScenario({
  name: 'read-heavy',
  description: 'searches and nearby drivers (95 % reads) at 80 req/s for 1 min',
  executor: { type: 'constant-arrival-rate', rate: 80, timeUnit: '1s', duration: '1m', preAllocatedVUs: 20, maxVUs: 150 },
  workload: requestMix({ search: 60, nearby: 35, get_booking: 5 }),
  warmup: WARMUP,
  k6: k6Twin('read-heavy'),
  thresholds: { http_req_failed: ['rate<0.01'], 'http_req_duration{endpoint:search}': ['p(95)<300'], 'http_req_duration{endpoint:nearby}': ['p(95)<300'] },
  slos: [serverP95Below(0.3), cacheHitRatioAbove(0.3), replicaLagBelow(2)],
  alerts: 'none',
});
