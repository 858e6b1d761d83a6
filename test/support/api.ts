import { createHmac, randomUUID } from 'node:crypto';
import pg from 'pg';
import { inject } from 'vitest';

export const stack = () => inject('stack');

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** A request through the gateway; the body is parsed as JSON when it is JSON. */
export async function api<T = any>(method: string, path: string, options: { body?: unknown; raw?: string; headers?: Record<string, string>; base?: string } = {}): Promise<Answer<T>> {
  const raw = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const response = await fetch(`${options.base ?? stack().endpoints.gateway}${path}`, {
    method,
    body: raw,
    headers: { ...(raw !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const body = response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body };
}

export function sign(raw: string, secret = stack().webhookSecret): string {
  return `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
}

export function hold(routeId: number, riderId: number, seats = 1, key: string = randomUUID()) {
  return api('POST', '/v1/bookings', { body: { routeId, riderId, seats }, headers: { 'idempotency-key': key } });
}

export function webhook(event: { eventId: string; bookingId: string; status: 'succeeded' | 'failed'; amountMinor: number }, signature?: string | null) {
  const raw = JSON.stringify(event);
  const headers: Record<string, string> = {};
  if (signature !== null) headers['x-signature'] = signature ?? sign(raw);
  return api('POST', '/v1/payments/webhook', { raw, headers });
}

/** A client on the primary for direct reads of the tables (invariants, set-up). */
export async function withPrimary<T>(fn: (client: pg.Client) => Promise<T>, url = stack().endpoints.postgresPrimary): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A route with `seats` free seats and no bookings, made from a seeded one so feeders still know it. */
export async function freshRoute(seats: number): Promise<number> {
  return withPrimary(async (client) => {
    const { rows } = await client.query<{ id: string }>(
      `UPDATE routes SET seats_total = $1, seats_available = $1
        WHERE id = (SELECT r.id FROM routes r WHERE NOT EXISTS (SELECT 1 FROM bookings b WHERE b.route_id = r.id) AND r.seats_total = r.seats_available
                    ORDER BY random() LIMIT 1)
        RETURNING id`,
      [seats],
    );
    return Number(rows[0]!.id);
  });
}

/** Sum of a counter across the instances of a service group, read from their /metrics. */
export async function metricSum(group: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const urls = stack().components.filter((c) => c.group === group).map((c) => c.url!);
  let total = 0;
  for (const url of urls) {
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const line of text.split('\n')) {
      if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
      if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const SEAT_INVARIANT_SQL = `
  SELECT r.id, r.seats_total, r.seats_available, coalesce(sum(b.seats) FILTER (WHERE b.status IN ('HELD', 'CONFIRMED')), 0)::int AS held
    FROM routes r LEFT JOIN bookings b ON b.route_id = r.id
   GROUP BY r.id
  HAVING r.seats_available < 0 OR r.seats_total <> r.seats_available + coalesce(sum(b.seats) FILTER (WHERE b.status IN ('HELD', 'CONFIRMED')), 0)`;
