import { randomUUID } from 'node:crypto';
import { expect, test } from 'vitest';
import { freshRoute, hold, SEAT_INVARIANT_SQL, stack, withPrimary } from './support/api.ts';

test('many concurrent holds for more seats than a route has: exactly its capacity is held', async () => {
  const capacity = 5;
  const routeId = await freshRoute(capacity);
  const attempts = 60;
  const riders = stack().dataset.riderIds.max;
  const answers = await Promise.all(Array.from({ length: attempts }, (_, i) => hold(routeId, 1 + (i % riders), 1, `race-${randomUUID()}`)));
  const statuses = answers.map((a) => a.status);
  expect(statuses.filter((s) => s === 201)).toHaveLength(capacity);
  // The rest are refused: 409 when they reached the database, or 503 + Retry-After when the
  // pools shed them (on a busy machine 60 at once can outrun the pools' wait queue).
  expect(statuses.filter((s) => s !== 201 && s !== 409 && s !== 503)).toEqual([]);
  for (const answer of answers.filter((a) => a.status === 503)) expect(answer.headers.get('retry-after')).toBeTruthy();
  const route = await withPrimary(async (c) => (await c.query('SELECT seats_available FROM routes WHERE id = $1', [routeId])).rows[0]);
  expect(route.seats_available).toBe(0);
  const held = await withPrimary(async (c) => (await c.query(`SELECT count(*)::int AS n FROM bookings WHERE route_id = $1 AND status = 'HELD'`, [routeId])).rows[0].n);
  expect(held).toBe(capacity);
});

test('concurrent multi-seat holds never oversell, and the seat invariant holds everywhere afterwards', async () => {
  const routeId = await freshRoute(7);
  const riders = stack().dataset.riderIds.max;
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => hold(routeId, 1 + (i % riders), 1 + (i % 3))));
  const granted = answers.filter((a) => a.status === 201).reduce((sum, a) => sum + a.body.seats, 0);
  expect(granted).toBeLessThanOrEqual(7);
  expect(answers.every((a) => a.status === 201 || a.status === 409)).toBe(true);
  const { seats_available } = await withPrimary(async (c) => (await c.query('SELECT seats_available FROM routes WHERE id = $1', [routeId])).rows[0]);
  expect(seats_available).toBe(7 - granted);
  expect(await withPrimary(async (c) => (await c.query(SEAT_INVARIANT_SQL)).rows)).toEqual([]);
});
