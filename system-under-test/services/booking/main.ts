// booking: seat holds, confirmation by payment webhook, cancellation and hold expiry. The
// database is the authority for seats (one conditional UPDATE, never read-modify-write) and for
// idempotency (a unique constraint); Redis is only a fast path in front of the latter.
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Counter } from 'prom-client';
import type pg from 'pg';
import { z } from 'zod';
import { createApp, onShutdown, validate, type ReadyReport } from '../lib/app.ts';
import { Cache } from '../lib/cache.ts';
import { Database } from '../lib/db.ts';
import { common, integer, poolEnv, poolSettings, readEnv } from '../lib/env.ts';
import { HttpError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { cacheMetrics, createMetrics, dbMetrics } from '../lib/metrics.ts';

const env = readEnv({
  ...common,
  ...poolEnv,
  DATABASE_URL: z.string().min(1),
  REDIS_URL: z.string().min(1),
  HOLD_TTL_SECONDS: integer(1, 86_400).default(600),
  SWEEP_INTERVAL_MS: integer(50, 600_000).default(1_000),
  WEBHOOK_SECRET: z.string().min(16),
});

const log = createLogger({ service: env.SERVICE_NAME, instance: env.INSTANCE_NAME, version: env.VERSION });
const metrics = createMetrics(env.SERVICE_NAME, env.VERSION);
const db = dbMetrics(metrics.registry);
const bookingsTotal = new Counter({ name: 'bookings_total', help: 'Booking outcomes by status', labelNames: ['status'], registers: [metrics.registry] });
const primary = new Database('primary', env.DATABASE_URL, poolSettings(env), db, log, env.INSTANCE_NAME);
const cache = new Cache(env.REDIS_URL, cacheMetrics(metrics.registry), log);

interface BookingRow {
  id: string;
  route_id: string;
  rider_id: string;
  seats: number;
  status: 'HELD' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';
  request_hash: string;
  hold_expires_at: Date;
  created_at: Date;
  confirmed_at: Date | null;
  cancelled_at: Date | null;
}

const present = (row: BookingRow) => ({
  id: row.id,
  routeId: Number(row.route_id),
  riderId: Number(row.rider_id),
  seats: row.seats,
  status: row.status,
  holdExpiresAt: row.hold_expires_at.toISOString(),
  createdAt: row.created_at.toISOString(),
  confirmedAt: row.confirmed_at?.toISOString() ?? null,
  cancelledAt: row.cancelled_at?.toISOString() ?? null,
});

const bookingSchema = z.strictObject({
  routeId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  riderId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  seats: z.number().int().min(1).max(8),
});

const webhookSchema = z.strictObject({
  eventId: z.string().min(1).max(200),
  bookingId: z.uuid(),
  status: z.enum(['succeeded', 'failed']),
  amountMinor: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

const idempotencyKeySchema = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
const uuidSchema = z.uuid();

const SELECT_BOOKING = 'SELECT * FROM bookings WHERE id = $1';

/** Another request with the same Idempotency-Key committed first. */
class ConcurrentKey extends Error {}

/** A repeated key must repeat the same request; a different body under the same key is refused. */
function replay(row: BookingRow, requestHash: string) {
  if (row.request_hash !== requestHash) throw new HttpError(422, 'IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was used for a different request');
  return { status: 200, body: present(row) };
}

const ready = async (): Promise<ReadyReport> => {
  const [primaryOk, redisOk] = await Promise.all([primary.ping(), cache.ping()]);
  metrics.dependencyUp.set({ dependency: 'postgres_primary' }, primaryOk ? 1 : 0);
  metrics.dependencyUp.set({ dependency: 'redis' }, redisOk ? 1 : 0);
  // Redis is only a fast path: booking is ready without it.
  return { ready: primaryOk, checks: { postgres_primary: primaryOk, redis: redisOk } };
};

const app = createApp({ metrics, log, ready, beforeScrape: () => primary.observePool() });

app.post('/v1/bookings', async (request) => {
  const keyHeader = request.headers['idempotency-key'];
  const key = validate(idempotencyKeySchema, Array.isArray(keyHeader) ? undefined : keyHeader, 'IDEMPOTENCY_KEY_REQUIRED');
  const input = validate(bookingSchema, request.body);
  const requestHash = createHash('sha256').update(JSON.stringify([input.routeId, input.riderId, input.seats])).digest('hex');

  const cachedId = await cache.get(`idem:${key}`);
  if (cachedId) {
    const [row] = await primary.query<BookingRow>('booking_get', SELECT_BOOKING, [cachedId]);
    if (row) return replay(row, requestHash);
  }

  const outcome: { replayed: boolean; row: BookingRow } = await primary.transaction('booking_hold', async (client): Promise<{ replayed: boolean; row: BookingRow }> => {
    const [existing] = (await client.query<BookingRow>('SELECT * FROM bookings WHERE idempotency_key = $1', [key])).rows;
    if (existing) return { replayed: true, row: existing };
    // The seat check and the decrement are one statement: concurrent holds serialise on the
    // row lock and the WHERE is re-checked, so seats can never go below zero.
    const taken = await client.query('UPDATE routes SET seats_available = seats_available - $2 WHERE id = $1 AND seats_available >= $2 AND status = $3 RETURNING id', [input.routeId, input.seats, 'scheduled']);
    if (taken.rowCount === 0) {
      const route = await client.query<{ status: string }>('SELECT status FROM routes WHERE id = $1', [input.routeId]);
      if (!route.rows[0]) throw new HttpError(404, 'ROUTE_NOT_FOUND', `route ${input.routeId} does not exist`);
      throw new HttpError(409, 'SEATS_UNAVAILABLE', `route ${input.routeId} has fewer than ${input.seats} free seat(s)`);
    }
    const rider = await client.query('SELECT 1 FROM riders WHERE id = $1', [input.riderId]);
    if (rider.rowCount === 0) throw new HttpError(404, 'RIDER_NOT_FOUND', `rider ${input.riderId} does not exist`);
    const inserted = await client.query<BookingRow>(
      `INSERT INTO bookings (id, route_id, rider_id, seats, status, idempotency_key, request_hash, hold_expires_at)
       VALUES ($1, $2, $3, $4, 'HELD', $5, $6, now() + make_interval(secs => $7))
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING *`,
      [randomUUID(), input.routeId, input.riderId, input.seats, key, requestHash, env.HOLD_TTL_SECONDS],
    );
    // A concurrent request with the same key committed first: undo our decrement (by rolling
    // back) and answer with its booking.
    const [created] = inserted.rows;
    if (!created) throw new ConcurrentKey();
    return { replayed: false, row: created };
  }).catch(async (error: unknown) => {
    if (!(error instanceof ConcurrentKey)) throw error;
    const [row] = await primary.query<BookingRow>('booking_get', 'SELECT * FROM bookings WHERE idempotency_key = $1', [key]);
    if (!row) throw new HttpError(500, 'INTERNAL', 'idempotency conflict without a booking');
    return { replayed: true, row };
  });

  if (outcome.replayed) return replay(outcome.row, requestHash);
  bookingsTotal.inc({ status: 'HELD' });
  await cache.set(`idem:${key}`, outcome.row.id, 86_400);
  return { status: 201, body: present(outcome.row), headers: { location: `/v1/bookings/${outcome.row.id}` } };
});

app.get('/v1/bookings/:id', async (request) => {
  const id = validate(uuidSchema, request.params.id, 'INVALID_BOOKING_ID');
  const [row] = await primary.query<BookingRow>('booking_get', SELECT_BOOKING, [id]);
  if (!row) throw new HttpError(404, 'BOOKING_NOT_FOUND', `booking ${id} does not exist`);
  return { status: 200, body: present(row) };
});

/** Releases a booking's seats back to its route, in the caller's transaction. */
async function releaseSeats(client: pg.PoolClient, routeId: string, seats: number): Promise<void> {
  await client.query('UPDATE routes SET seats_available = seats_available + $2 WHERE id = $1', [routeId, seats]);
}

app.post('/v1/bookings/:id/cancel', async (request) => {
  const id = validate(uuidSchema, request.params.id, 'INVALID_BOOKING_ID');
  if (request.body !== undefined) validate(z.strictObject({}), request.body);
  const result = await primary.transaction('booking_cancel', async (client) => {
    const rows = await client.query<BookingRow>(
      `UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), updated_at = now()
        WHERE id = $1 AND status IN ('HELD', 'CONFIRMED') RETURNING *`,
      [id],
    );
    const cancelled = rows.rows[0];
    if (cancelled) {
      await releaseSeats(client, cancelled.route_id, cancelled.seats);
      return { row: cancelled, changed: true };
    }
    const current = await client.query<BookingRow>(SELECT_BOOKING, [id]);
    return { row: current.rows[0], changed: false };
  });
  if (!result.row) throw new HttpError(404, 'BOOKING_NOT_FOUND', `booking ${id} does not exist`);
  if (!result.changed && result.row.status !== 'CANCELLED') {
    throw new HttpError(409, 'BOOKING_NOT_CANCELLABLE', `booking ${id} is ${result.row.status}`);
  }
  if (result.changed) bookingsTotal.inc({ status: 'CANCELLED' });
  return { status: 200, body: { ...present(result.row), status: 'CANCELLED' } };
});

function signatureValid(rawBody: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  const expected = createHmac('sha256', env.WEBHOOK_SECRET).update(rawBody).digest();
  // Length first: timingSafeEqual throws on unequal lengths, and the length is no secret.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

app.post('/v1/payments/webhook', async (request) => {
  // The signature is checked before anything about the body is trusted, even its shape.
  if (!signatureValid(request.rawBody, request.headers['x-signature'])) {
    throw new HttpError(401, 'INVALID_SIGNATURE', 'X-Signature is missing or does not match the body');
  }
  const event = validate(webhookSchema, request.body);
  const result = await primary.transaction('payment_webhook', async (client) => {
    const booking = await client.query<BookingRow>(`${SELECT_BOOKING} FOR UPDATE`, [event.bookingId]);
    const row = booking.rows[0];
    if (!row) throw new HttpError(404, 'BOOKING_NOT_FOUND', `booking ${event.bookingId} does not exist`);
    const seen = await client.query<{ outcome: string }>('SELECT outcome FROM payments WHERE event_id = $1', [event.eventId]);
    if (seen.rows[0]) return { duplicate: true, outcome: seen.rows[0].outcome, booking: row };
    let outcome: string;
    let updated = row;
    if (row.status !== 'HELD') {
      outcome = `ignored: booking is ${row.status}`;
    } else if (event.status === 'succeeded') {
      const confirmed = await client.query<BookingRow>(`UPDATE bookings SET status = 'CONFIRMED', confirmed_at = now(), updated_at = now() WHERE id = $1 RETURNING *`, [row.id]);
      updated = confirmed.rows[0]!;
      outcome = 'applied';
    } else {
      const cancelled = await client.query<BookingRow>(`UPDATE bookings SET status = 'CANCELLED', cancelled_at = now(), updated_at = now() WHERE id = $1 RETURNING *`, [row.id]);
      await releaseSeats(client, row.route_id, row.seats);
      updated = cancelled.rows[0]!;
      outcome = 'applied';
    }
    // The primary key on event_id makes a concurrent duplicate fail here and roll back whole.
    await client.query('INSERT INTO payments (event_id, booking_id, status, amount_minor, outcome) VALUES ($1, $2, $3, $4, $5)', [event.eventId, event.bookingId, event.status, event.amountMinor, outcome]);
    return { duplicate: false, outcome, booking: updated };
  }).catch(async (error: unknown) => {
    // Two deliveries of one event raced past the duplicate check; the loser reports the winner's outcome.
    if ((error as { code?: string })?.code !== '23505') throw error;
    const [payment] = await primary.query<{ outcome: string }>('payment_get', 'SELECT outcome FROM payments WHERE event_id = $1', [event.eventId]);
    const [booking] = await primary.query<BookingRow>('booking_get', SELECT_BOOKING, [event.bookingId]);
    if (!payment || !booking) throw error;
    return { duplicate: true, outcome: payment.outcome, booking };
  });
  if (!result.duplicate && result.outcome === 'applied') bookingsTotal.inc({ status: result.booking.status });
  return { status: 200, body: { eventId: event.eventId, duplicate: result.duplicate, outcome: result.outcome, booking: present(result.booking) } };
});

/**
 * Expires holds past their deadline and returns their seats, in one statement: the UPDATE of
 * bookings and the release of seats commit together, and two instances sweeping at once
 * cannot expire the same hold twice (the second sees status <> 'HELD' after the row lock).
 */
async function sweep(): Promise<number> {
  const rows = await primary.query<{ expired: number }>(
    'hold_sweep',
    `WITH expired AS (
       UPDATE bookings SET status = 'EXPIRED', updated_at = now()
        WHERE id IN (SELECT id FROM bookings WHERE status = 'HELD' AND hold_expires_at < now() ORDER BY hold_expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED)
       RETURNING route_id, seats
     ), released AS (
       UPDATE routes r SET seats_available = r.seats_available + x.seats
         FROM (SELECT route_id, sum(seats)::int AS seats FROM expired GROUP BY route_id) x
        WHERE r.id = x.route_id
       RETURNING r.id
     )
     SELECT (SELECT count(*) FROM expired)::int AS expired`,
  );
  const expired = rows[0]?.expired ?? 0;
  if (expired > 0) bookingsTotal.inc({ status: 'EXPIRED' }, expired);
  return expired;
}

let sweeper: NodeJS.Timeout | undefined;
const scheduleSweep = () => {
  sweeper = setTimeout(async () => {
    try {
      await sweep();
    } catch (error) {
      log.warn('hold sweep failed', { error: (error as Error).message });
    }
    scheduleSweep();
  }, env.SWEEP_INTERVAL_MS);
};

await app.listen(env.PORT, env.HOST);
scheduleSweep();
// dependency_up feeds the RedisDown / PostgresDown alerts, whether or not anyone polls /ready.
setInterval(() => void ready(), 1_000).unref();
log.info('listening', { port: env.PORT });
onShutdown(log, [app.server], async () => {
  clearTimeout(sweeper);
  cache.close();
  await primary.close();
});
