import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, test } from 'vitest';
import { api, freshRoute, hold, metricSum, stack, withPrimary } from './support/api.ts';

const redisPid = () => stack().components.find((c) => c.name === 'redis')!.pid!;

afterAll(() => {
  try {
    process.kill(redisPid(), 'SIGCONT');
  } catch {
    // Already running.
  }
});

describe('Redis unreachable: search degrades, it does not fail', () => {
  test('while Redis hangs, search answers from the database and counts cache errors', async () => {
    const hub = stack().dataset.cities[1]!.hubs[0]!;
    const query = (minute: number) => `/v1/routes/search?lat=${hub.lat}&lng=${hub.lng}&time=${stack().dataset.serviceDate}T17:${String(minute).padStart(2, '0')}:00Z&radius_m=3000`;
    const healthy = await api('GET', query(10));
    expect(healthy.status).toBe(200);

    const errorsBefore = await metricSum('matching', 'cache_requests_total', { result: 'error' });
    process.kill(redisPid(), 'SIGSTOP');
    try {
      for (const minute of [10, 40]) {
        const started = performance.now();
        const answer = await api('GET', query(minute));
        expect(answer.status).toBe(200);
        expect(answer.body.cache).toBe('miss');
        expect(Array.isArray(answer.body.results)).toBe(true);
        // Bounded by the cache's command timeout (250 ms per call), not by ioredis's retry queue.
        expect(performance.now() - started).toBeLessThan(2_000);
      }
      // The same search as before Redis hung: same answer, now from the database.
      expect((await api('GET', query(10))).body.results).toEqual(healthy.body.results);
    } finally {
      process.kill(redisPid(), 'SIGCONT');
    }
    expect(await metricSum('matching', 'cache_requests_total', { result: 'error' })).toBeGreaterThanOrEqual(errorsBefore + 3);
  });
});

describe('pool saturation: prompt 503 with Retry-After, never an unbounded queue', () => {
  test('holds blocked behind a row lock fill the pools; the overflow is shed fast and nothing is lost', async () => {
    const routeId = await freshRoute(8);
    const riders = stack().dataset.riderIds.max;
    const answers = await withPrimary(async (locker) => {
      // Hold the route's row lock so every hold for it blocks inside the database.
      await locker.query('BEGIN');
      await locker.query('SELECT 1 FROM routes WHERE id = $1 FOR UPDATE', [routeId]);
      const requests = Array.from({ length: 160 }, async (_, i) => {
        const started = performance.now();
        const answer = await hold(routeId, 1 + (i % riders), 1, `sat-${randomUUID()}`);
        return { ...answer, ms: performance.now() - started };
      });
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await locker.query('ROLLBACK');
      return Promise.all(requests);
    });
    const shed = answers.filter((a) => a.status === 503);
    const held = answers.filter((a) => a.status === 201);
    expect(shed.length).toBeGreaterThan(0);
    for (const answer of shed) {
      expect(['POOL_SATURATED', 'DB_POOL_TIMEOUT']).toContain(answer.body.error.code);
      expect(answer.headers.get('retry-after')).toBe('1');
      // Shed while the lock was still held: no 503 waited for the lock to go.
      expect(answer.ms).toBeLessThan(2_400);
    }
    expect(answers.filter((a) => a.status >= 500 && a.status !== 503)).toEqual([]);
    expect(answers.every((a) => [201, 409, 503].includes(a.status))).toBe(true);
    // What was acknowledged is exactly what the database holds.
    expect(held.length).toBe(8);
    const count = await withPrimary(async (c) => (await c.query(`SELECT count(*)::int AS n FROM bookings WHERE route_id = $1 AND status = 'HELD'`, [routeId])).rows[0].n);
    expect(count).toBe(held.length);
    expect(await metricSum('booking', 'db_pool_shed_total')).toBeGreaterThanOrEqual(shed.filter((a) => a.body.error.code === 'POOL_SATURATED').length);
  });
});
