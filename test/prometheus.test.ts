import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { expect, test } from 'vitest';
import { findBinary } from '../harness/index.ts';
import { api, eventually, freshRoute, hold, stack } from './support/api.ts';

const query = async (promql: string) => {
  const response = await fetch(`${stack().endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(promql)}`);
  return ((await response.json()) as any).data.result as { metric: Record<string, string>; value: [number, string] }[];
};

test('Prometheus scrapes every SUT service', async () => {
  const services = stack().components.filter((c) => c.kind === 'service').length;
  const up = await eventually(async () => {
    const result = await query('up == 1');
    return result.length === services && result;
  }, 15_000, 'every target up');
  expect(up.map((r) => r.metric.instance_name).sort()).toEqual(stack().components.filter((c) => c.kind === 'service').map((c) => c.name).sort());
});

test('the SUT metrics named in DESIGN.md are exported', async () => {
  // Traffic of each kind first: labelled series only exist once something was counted.
  const hub = stack().dataset.cities[0]!.hubs[0]!;
  await api('GET', `/v1/routes/search?lat=${hub.lat}&lng=${hub.lng}&time=${stack().dataset.serviceDate}T07:30:00Z`);
  await api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}`);
  await hold(await freshRoute(1), 1);
  const names = ['http_request_duration_seconds_bucket', 'http_requests_total', 'cache_requests_total', 'db_query_duration_seconds_bucket', 'db_pool_connections', 'db_reads_total', 'replica_lag_seconds', 'bookings_total', 'matches_returned_bucket', 'process_cpu_seconds_total'];
  await eventually(async () => {
    const found = await query(`count by (__name__) ({__name__=~"${names.join('|')}"})`);
    return found.length === names.length;
  }, 15_000, `all of ${names.join(', ')}`);
  const labelled = await query('http_requests_total{service="matching"}');
  expect(labelled[0]!.metric).toMatchObject({ service: 'matching', version: expect.any(String), route: expect.any(String), method: expect.any(String), status_code: expect.any(String) });
});

test('the alert rules are loaded into the stack', async () => {
  const response = await fetch(`${stack().endpoints.prometheus}/api/v1/rules?type=alert`);
  const groups = ((await response.json()) as any).data.groups as { rules: { name: string }[] }[];
  const alerts = groups.flatMap((g) => g.rules.map((r) => r.name));
  for (const name of ['ServiceDown', 'HighErrorRate', 'SlowResponseTime', 'LowCacheHitRate', 'SlowDatabaseQueries', 'NoDriversFound', 'ReplicaLagHigh', 'PoolSaturationHigh', 'RedisDown', 'PostgresDown']) {
    expect(alerts).toContain(name);
  }
});

test('promtool unit tests of the alert and recording rules pass', () => {
  const promtool = findBinary('promtool');
  expect(promtool, 'promtool is installed (npx rushhour install-deps)').toBeTruthy();
  const dir = 'system-under-test/prometheus/tests';
  const files = readdirSync(dir).filter((f) => f.endsWith('.test.yml')).map((f) => `${dir}/${f}`);
  expect(files.length).toBeGreaterThan(0);
  const result = spawnSync(promtool!, ['test', 'rules', ...files], { encoding: 'utf8' });
  expect(result.stdout + result.stderr).toContain('SUCCESS');
  expect(result.status, result.stdout + result.stderr).toBe(0);
});
