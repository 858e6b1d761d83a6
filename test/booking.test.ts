import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { api, eventually, freshRoute, hold, SEAT_INVARIANT_SQL, sign, stack, webhook, withPrimary } from './support/api.ts';

const rider = () => 1 + Math.floor(Math.random() * stack().dataset.riderIds.max);
const seatsLeft = (routeId: number) => withPrimary(async (c) => (await c.query<{ n: number }>('SELECT seats_available AS n FROM routes WHERE id = $1', [routeId])).rows[0]!.n);
const bookingStatus = (id: string) => withPrimary(async (c) => (await c.query<{ status: string }>('SELECT status FROM bookings WHERE id = $1', [id])).rows[0]?.status);

describe('booking lifecycle', () => {
  test('HELD → CONFIRMED through a signed payment webhook', async () => {
    const routeId = await freshRoute(4);
    const held = await hold(routeId, rider(), 2);
    expect(held.status).toBe(201);
    expect(held.body).toMatchObject({ routeId, seats: 2, status: 'HELD' });
    expect(Date.parse(held.body.holdExpiresAt)).toBeGreaterThan(Date.now());
    expect(await seatsLeft(routeId)).toBe(2);

    const event = { eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'succeeded' as const, amountMinor: 250_000 };
    const paid = await webhook(event);
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ duplicate: false, outcome: 'applied', booking: { status: 'CONFIRMED' } });
    const fetched = await api('GET', `/v1/bookings/${held.body.id}`);
    expect(fetched.status).toBe(200);
    expect(fetched.body.status).toBe('CONFIRMED');
    expect(await seatsLeft(routeId)).toBe(2);
  });

  test('a bad or missing signature is 401 and changes nothing', async () => {
    const routeId = await freshRoute(2);
    const held = await hold(routeId, rider());
    const event = { eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'succeeded' as const, amountMinor: 100 };
    const wrongSecret = await webhook(event, sign(JSON.stringify(event), 'not-the-real-secret-at-all'));
    const missing = await webhook(event, null);
    const garbage = await webhook(event, 'sha256=zz');
    // Signed correctly, but for different bytes than those sent.
    const otherBody = await webhook(event, sign(JSON.stringify({ ...event, amountMinor: 1 })));
    for (const answer of [wrongSecret, missing, garbage, otherBody]) {
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('INVALID_SIGNATURE');
    }
    expect(await bookingStatus(held.body.id)).toBe('HELD');
    const payments = await withPrimary(async (c) => (await c.query('SELECT 1 FROM payments WHERE event_id = $1', [event.eventId])).rowCount);
    expect(payments).toBe(0);
  });

  test('a duplicated webhook is applied once', async () => {
    const routeId = await freshRoute(3);
    const held = await hold(routeId, rider());
    const event = { eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'succeeded' as const, amountMinor: 100 };
    // Concurrent and sequential redeliveries of one event.
    const answers = await Promise.all([webhook(event), webhook(event), webhook(event)]);
    const again = await webhook(event);
    expect([...answers, again].every((a) => a.status === 200)).toBe(true);
    expect([...answers, again].filter((a) => a.body.duplicate === false)).toHaveLength(1);
    const rows = await withPrimary(async (c) => (await c.query('SELECT outcome FROM payments WHERE booking_id = $1', [held.body.id])).rows);
    expect(rows).toEqual([{ outcome: 'applied' }]);
    expect(await bookingStatus(held.body.id)).toBe('CONFIRMED');
  });

  test('a failed payment cancels the hold and releases its seats', async () => {
    const routeId = await freshRoute(3);
    const held = await hold(routeId, rider(), 2);
    expect(await seatsLeft(routeId)).toBe(1);
    const answer = await webhook({ eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'failed', amountMinor: 0 });
    expect(answer.body.booking.status).toBe('CANCELLED');
    expect(await seatsLeft(routeId)).toBe(3);
  });

  test('a repeated Idempotency-Key returns the same booking; a different body under it is refused', async () => {
    const routeId = await freshRoute(4);
    const key = `idem-${randomUUID()}`;
    const riderId = rider();
    const first = await hold(routeId, riderId, 1, key);
    const second = await hold(routeId, riderId, 1, key);
    const concurrent = await Promise.all([hold(routeId, riderId, 1, key), hold(routeId, riderId, 1, key)]);
    expect(first.status).toBe(201);
    for (const answer of [second, ...concurrent]) {
      expect(answer.status).toBe(200);
      expect(answer.body.id).toBe(first.body.id);
    }
    expect(await seatsLeft(routeId)).toBe(3);
    const reused = await hold(routeId, riderId, 2, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    const rows = await withPrimary(async (c) => (await c.query('SELECT id FROM bookings WHERE idempotency_key = $1', [key])).rowCount);
    expect(rows).toBe(1);
  });

  test('an expired hold releases its seats (sweeper)', async () => {
    const routeId = await freshRoute(2);
    const held = await hold(routeId, rider(), 2);
    expect(held.status).toBe(201);
    expect(await seatsLeft(routeId)).toBe(0);
    // The test stack holds for 3 s and sweeps every 200 ms.
    await eventually(async () => (await bookingStatus(held.body.id)) === 'EXPIRED', 10_000, 'the hold to expire');
    expect(await seatsLeft(routeId)).toBe(2);
    // A payment that arrives after expiry is recorded but confirms nothing.
    const late = await webhook({ eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'succeeded', amountMinor: 100 });
    expect(late.body.outcome).toBe('ignored: booking is EXPIRED');
    expect(await bookingStatus(held.body.id)).toBe('EXPIRED');
  });

  test('cancel releases seats and is idempotent; unknown ids are 404', async () => {
    const routeId = await freshRoute(2);
    const held = await hold(routeId, rider());
    const cancelled = await api('POST', `/v1/bookings/${held.body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
    expect(await seatsLeft(routeId)).toBe(2);
    const again = await api('POST', `/v1/bookings/${held.body.id}/cancel`);
    expect(again.status).toBe(200);
    expect(await seatsLeft(routeId)).toBe(2);
    expect((await api('GET', `/v1/bookings/${randomUUID()}`)).status).toBe(404);
    expect((await api('GET', '/v1/bookings/not-a-uuid')).body.error.code).toBe('INVALID_BOOKING_ID');
  });

  test('no seats → 409 SEATS_UNAVAILABLE; unknown route → 404', async () => {
    const routeId = await freshRoute(1);
    expect((await hold(routeId, rider())).status).toBe(201);
    const full = await hold(routeId, rider());
    expect(full.status).toBe(409);
    expect(full.body.error.code).toBe('SEATS_UNAVAILABLE');
    const missing = await hold(999_999_999, rider());
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ROUTE_NOT_FOUND');
  });
});

describe('input validation: 400 with a stable code, never a 500', () => {
  const post = (raw: string, headers: Record<string, string> = { 'idempotency-key': randomUUID() }) => api('POST', '/v1/bookings', { raw, headers });
  test.each([
    ['malformed JSON', '{"routeId": 1,', 'MALFORMED_JSON'],
    ['seats 9', JSON.stringify({ routeId: 1, riderId: 1, seats: 9 }), 'INVALID_REQUEST'],
    ['seats 0', JSON.stringify({ routeId: 1, riderId: 1, seats: 0 }), 'INVALID_REQUEST'],
    ['unknown field', JSON.stringify({ routeId: 1, riderId: 1, seats: 1, discount: 50 }), 'INVALID_REQUEST'],
    ['string id', JSON.stringify({ routeId: '1', riderId: 1, seats: 1 }), 'INVALID_REQUEST'],
    ['array body', '[]', 'INVALID_REQUEST'],
    ['body over 16 KB', JSON.stringify({ routeId: 1, riderId: 1, seats: 1, pad: 'x'.repeat(17_000) }), 'BODY_TOO_LARGE'],
  ])('%s', async (_, raw, code) => {
    const answer = await post(raw);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe(code);
  });

  test('a missing Idempotency-Key is refused', async () => {
    const answer = await post(JSON.stringify({ routeId: 1, riderId: 1, seats: 1 }), {});
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
  });

  test('a webhook with a valid signature but an invalid body is 400', async () => {
    const raw = JSON.stringify({ eventId: 'x', bookingId: 'not-a-uuid', status: 'succeeded', amountMinor: 1 });
    const answer = await api('POST', '/v1/payments/webhook', { raw, headers: { 'x-signature': sign(raw) } });
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_REQUEST');
  });
});

test('the seat invariant holds over every route after all of the above', async () => {
  const violations = await withPrimary(async (c) => (await c.query(SEAT_INVARIANT_SQL)).rows);
  expect(violations).toEqual([]);
});
