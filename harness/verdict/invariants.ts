import pg from 'pg';
import type { VerdictCheck } from '../run/record.ts';

// Jepsen-style invariants for bookings and payments. The workload records every write it makes
// as an operation with one outcome: `ok` (acknowledged), `fail` (definitely refused: a 4xx) or
// `info` (indeterminate: a timeout, a reset, a 5xx; it may or may not have taken effect). After
// the run the database, read in one snapshot, is checked against that history. `info`
// operations are never counted as failures, and never as lost.

export type Outcome = 'ok' | 'fail' | 'info';

export interface BookingOp {
  type: 'book';
  outcome: Outcome;
  idempotencyKey: string;
  /** The id the SUT answered with (ok only). */
  bookingId?: string;
  routeId?: number;
  seats?: number;
}

export interface PaymentOp {
  type: 'pay';
  outcome: Outcome;
  eventId: string;
  bookingId: string;
}

export type Operation = BookingOp | PaymentOp;

/** The run's operations, bounded: past `limit` only counts are kept (the checks say so). */
export class History {
  readonly ops: Operation[] = [];
  readonly counts: Record<Operation['type'], Record<Outcome, number>> = { book: { ok: 0, fail: 0, info: 0 }, pay: { ok: 0, fail: 0, info: 0 } };
  dropped = 0;

  constructor(readonly limit = 200_000) {}

  record(op: Operation): void {
    this.counts[op.type][op.outcome]++;
    if (this.ops.length < this.limit) this.ops.push(op);
    else this.dropped++;
  }
}

/** How an HTTP answer to a write classifies: 2xx acknowledged, 4xx refused, anything else unknown. */
export function outcomeOf(status: number): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status >= 400 && status < 500) return 'fail';
  return 'info';
}

export interface InvariantResult {
  name: string;
  description: string;
  /** The offending ids (at most 20 listed; `count` has them all). */
  violations: string[];
  count: number;
  checked: number;
}

const LIST = 20;

function result(name: string, description: string, offending: string[], checked: number): InvariantResult {
  return { name, description, violations: offending.slice(0, LIST), count: offending.length, checked };
}

/**
 * Checks the history against the primary. Whole-table invariants (capacity, one applied payment
 * per booking) cover every row, not only this run's: they must hold for any history.
 */
export async function checkInvariants(primaryUrl: string, history: History): Promise<InvariantResult[]> {
  const client = new pg.Client({ connectionString: primaryUrl, connectionTimeoutMillis: 10_000, application_name: 'rushhour-invariants' });
  await client.connect();
  try {
    // One snapshot for every check: a hold expiring between two queries cannot look like a leak.
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const acknowledged = history.ops.filter((op): op is BookingOp & { bookingId: string } => op.type === 'book' && op.outcome === 'ok' && typeof op.bookingId === 'string');
    const found = new Map<string, { idempotency_key: string; route_id: string; seats: number }>();
    if (acknowledged.length) {
      const rows = await client.query<{ id: string; idempotency_key: string; route_id: string; seats: number }>('SELECT id, idempotency_key, route_id, seats FROM bookings WHERE id = ANY($1::uuid[])', [acknowledged.map((op) => op.bookingId)]);
      for (const row of rows.rows) found.set(row.id, row);
    }
    const lost = acknowledged.filter((op) => !found.has(op.bookingId)).map((op) => op.bookingId);
    // The same id acknowledged for two different requests, or a key that maps to another row.
    const keysById = new Map<string, Set<string>>();
    for (const op of acknowledged) keysById.set(op.bookingId, (keysById.get(op.bookingId) ?? new Set()).add(op.idempotencyKey));
    const mixedUp = [
      ...[...keysById].filter(([, keys]) => keys.size > 1).map(([id]) => id),
      ...acknowledged.filter((op) => found.has(op.bookingId) && found.get(op.bookingId)!.idempotency_key !== op.idempotencyKey).map((op) => op.bookingId),
    ];
    const capacity = await client.query<{ id: string }>(
      `SELECT r.id FROM routes r
         LEFT JOIN (SELECT route_id, sum(seats) AS taken FROM bookings WHERE status IN ('HELD', 'CONFIRMED') GROUP BY route_id) b ON b.route_id = r.id
        WHERE r.seats_available < 0 OR r.seats_available + coalesce(b.taken, 0) <> r.seats_total OR coalesce(b.taken, 0) > r.seats_total
        ORDER BY r.id`,
    );
    const routes = Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM routes')).rows[0]!.n);
    const doubleConfirmed = await client.query<{ booking_id: string }>(
      `SELECT booking_id FROM payments WHERE status = 'succeeded' AND outcome = 'applied' GROUP BY booking_id HAVING count(*) > 1 ORDER BY booking_id`,
    );
    const confirmedUnpaid = await client.query<{ id: string }>(
      `SELECT b.id FROM bookings b WHERE b.status = 'CONFIRMED'
          AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.booking_id = b.id AND p.status = 'succeeded' AND p.outcome = 'applied') ORDER BY b.id`,
    );
    const payments = Number((await client.query<{ n: string }>(`SELECT count(DISTINCT booking_id) AS n FROM payments`)).rows[0]!.n);
    const paid = history.ops.filter((op): op is PaymentOp => op.type === 'pay' && op.outcome === 'ok');
    const events = new Set<string>();
    if (paid.length) {
      const rows = await client.query<{ event_id: string }>('SELECT event_id FROM payments WHERE event_id = ANY($1::text[])', [paid.map((op) => op.eventId)]);
      for (const row of rows.rows) events.add(row.event_id);
    }
    const lostPayments = paid.filter((op) => !events.has(op.eventId)).map((op) => op.eventId);
    await client.query('COMMIT');
    return [
      result('no acknowledged booking is missing', 'every booking answered 2xx exists on the primary', lost, acknowledged.length),
      result('each booking id belongs to one request', 'no id was acknowledged for two idempotency keys, and each key holds the id it was given', [...new Set(mixedUp)], acknowledged.length),
      result('no route is over capacity', 'seats_available ≥ 0 and seats_available + seats held or confirmed = seats_total, on every route', capacity.rows.map((r) => `route ${r.id}`), routes),
      result('no booking is confirmed twice', 'at most one successful payment applied per booking', doubleConfirmed.rows.map((r) => r.booking_id), payments),
      result('no confirmed booking without its payment', 'every CONFIRMED booking has the successful payment that confirmed it', confirmedUnpaid.rows.map((r) => r.id), payments),
      result('no acknowledged payment is missing', 'every payment webhook answered 2xx is recorded', lostPayments, paid.length),
    ];
  } finally {
    await client.end().catch(() => {});
  }
}

/** The invariants as verdict checks: observed = violations; the note names the offending ids. */
export function invariantChecks(results: readonly InvariantResult[], history: History): VerdictCheck[] {
  const info = history.counts.book.info + history.counts.pay.info;
  return results.map((r) => ({
    kind: 'invariant' as const,
    name: r.name,
    expression: r.description,
    target: 'no violation',
    observed: r.count,
    window: `${r.checked} checked${info ? `; ${info} indeterminate operation(s) neither counted lost nor failed` : ''}${history.dropped ? `; ${history.dropped} operation(s) past the history's limit not checked` : ''}`,
    ok: r.count === 0,
    ...(r.count ? { note: `${r.count} violation(s): ${r.violations.join(', ')}${r.count > r.violations.length ? ', …' : ''}` } : {}),
  }));
}
