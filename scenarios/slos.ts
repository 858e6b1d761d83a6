import type { SloInput } from '../harness/index.ts';

// Server-side SLOs from the SUT's own metrics, evaluated by the stack's Prometheus over the
// run (`$window`). Business routes only: health checks and scrapes are not the user's latency.
const routes = 'route!~"/health|/ready|/metrics"';

export const serverP95Below = (seconds: number): SloInput => ({
  name: `server p95 < ${seconds * 1_000} ms`,
  query: `histogram_quantile(0.95, sum by (service, le) (rate(http_request_duration_seconds_bucket{${routes}}[$window])))`,
  operator: '<',
  target: seconds,
});

export const serverErrorRatioBelow = (ratio: number): SloInput => ({
  name: `server 5xx ratio < ${ratio * 100} %`,
  // `or ... * 0`: a service with no 5xx at all has no numerator series; it counts as 0, not "no data".
  query: `(sum by (service) (rate(http_requests_total{${routes},status_code=~"5.."}[$window])) or 0 * sum by (service) (rate(http_requests_total{${routes}}[$window]))) / sum by (service) (rate(http_requests_total{${routes}}[$window]))`,
  operator: '<',
  target: ratio,
});

export const poolWaitingBelow = (requests: number): SloInput => ({
  name: `db pool waiting < ${requests}`,
  query: `max_over_time(sum by (service) (db_pool_connections{state="waiting"})[$window:1s])`,
  operator: '<',
  target: requests,
});

export const replicaLagBelow = (seconds: number): SloInput => ({
  name: `replica lag < ${seconds} s`,
  query: 'max_over_time(replica_lag_seconds[$window])',
  operator: '<',
  target: seconds,
});

/**
 * Judged only once the cache has seen `minLookups` lookups in the window: a cold cache in a
 * short (scaled-down) run says nothing about the hit ratio, so it answers "no data", which
 * this SLO lets pass (and the record says so).
 */
export const cacheHitRatioAbove = (ratio: number, minLookups = 500): SloInput => ({
  name: `cache hit ratio > ${ratio * 100} %`,
  query: `sum(rate(cache_requests_total{result="hit"}[$window])) / sum(rate(cache_requests_total[$window])) and on() sum(increase(cache_requests_total[$window])) >= ${minLookups}`,
  operator: '>',
  target: ratio,
  noData: 'pass',
});
