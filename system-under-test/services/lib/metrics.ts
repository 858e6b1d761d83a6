import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The metrics every service exports (names are a contract: DESIGN.md). `service` and
 * `version` are default labels, so every series, process metrics included, says which
 * deployment it came from; canary analysis splits on `version`.
 */
export function createMetrics(service: string, version: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service, version });
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration, from first byte in to last byte out',
      labelNames: ['route', 'method', 'status_code'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    httpTotal: new Counter({ name: 'http_requests_total', help: 'HTTP requests answered', labelNames: ['route', 'method', 'status_code'], registers: [registry] }),
    dependencyUp: new Gauge({
      name: 'dependency_up',
      help: '1 when the dependency answered its last health probe, else 0',
      labelNames: ['dependency'],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

export function dbMetrics(registry: Registry) {
  return {
    queryDuration: new Histogram({
      name: 'db_query_duration_seconds',
      help: 'Database query duration, pool wait included',
      labelNames: ['target', 'op'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    pool: new Gauge({ name: 'db_pool_connections', help: 'pg.Pool connections by state', labelNames: ['target', 'state'], registers: [registry] }),
    poolShed: new Counter({ name: 'db_pool_shed_total', help: 'Requests answered 503 because the pool was saturated', labelNames: ['target'], registers: [registry] }),
  };
}

export type DbMetrics = ReturnType<typeof dbMetrics>;

export function cacheMetrics(registry: Registry) {
  return new Counter({ name: 'cache_requests_total', help: 'Cache lookups by result', labelNames: ['result'], registers: [registry] });
}
