import { createHmac, randomUUID } from 'node:crypto';
import { createFeeders } from '../fixtures/index.ts';
import type { StackState } from './state.ts';

export interface ProbeStep {
  name: string;
  method: string;
  path: string;
  status: number | null;
  expected: number[];
  ms: number;
  ok: boolean;
  note: string;
}

interface Answer {
  status: number;
  body: any;
}

/**
 * One request to each endpoint of the SUT's API through the gateway, in the order a rider
 * would make them, each checked against DESIGN.md. Failures are data (ok: false), not throws.
 */
export async function probeStack(state: StackState): Promise<ProbeStep[]> {
  const steps: ProbeStep[] = [];
  const feeders = createFeeders(state.dataset, Date.now() % 100_000);
  const base = state.endpoints.gateway;

  async function call(name: string, method: string, path: string, expected: number[], options: { body?: unknown; headers?: Record<string, string>; check?: (answer: Answer) => string | null } = {}): Promise<Answer | null> {
    const started = performance.now();
    let answer: Answer | null = null;
    let note = '';
    try {
      const raw = options.body === undefined ? undefined : JSON.stringify(options.body);
      const response = await fetch(`${base}${path}`, {
        method,
        body: raw,
        headers: { ...(raw ? { 'content-type': 'application/json' } : {}), ...options.headers },
        signal: AbortSignal.timeout(5_000),
      });
      const text = await response.text();
      answer = { status: response.status, body: response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text };
    } catch (error) {
      note = (error as Error).message;
    }
    const statusOk = answer !== null && expected.includes(answer.status);
    if (answer && !statusOk) note = typeof answer.body === 'object' && answer.body?.error ? `${answer.body.error.code}: ${answer.body.error.message}` : `unexpected status`;
    const checkNote = answer && statusOk && options.check ? options.check(answer) : null;
    if (checkNote) note = checkNote;
    steps.push({ name, method, path: path.split('?')[0]!, status: answer?.status ?? null, expected, ms: Math.round(performance.now() - started), ok: statusOk && !checkNote, note });
    return statusOk && !checkNote ? answer : null;
  }

  await call('gateway health', 'GET', '/health', [200]);
  await call('gateway ready', 'GET', '/ready', [200]);
  await call('gateway metrics', 'GET', '/metrics', [200], { check: (a) => (String(a.body).includes('http_requests_total') ? null : 'no http_requests_total') });

  // A search that finds something: try a few samples, since a sample may hit a quiet spot.
  let search: Answer | null = null;
  let query = '';
  for (let i = 0; i < 5 && !search?.body?.results?.length; i++) {
    const s = feeders.search();
    query = `lat=${s.lat}&lng=${s.lng}&time=${encodeURIComponent(s.time)}&seats=${s.seats}&radius_m=${s.radiusM}`;
    const answer = await fetch(`${base}/v1/routes/search?${query}`, { signal: AbortSignal.timeout(5_000) }).then(async (r) => ({ status: r.status, body: await r.json() })).catch(() => null);
    search = answer;
  }
  await call('route search', 'GET', `/v1/routes/search?${query}`, [200], {
    check: (a) => (Array.isArray(a.body.results) && a.body.results.length > 0 ? null : 'no results'),
  });
  await call('route search (repeat)', 'GET', `/v1/routes/search?${query}`, [200], { check: (a) => (a.body.cache === 'hit' ? null : `cache: ${a.body.cache}, expected hit`) });
  const near = feeders.nearby();
  await call('drivers nearby', 'GET', `/v1/drivers/nearby?lat=${near.lat}&lng=${near.lng}&radius_m=${near.radiusM}&limit=${near.limit}`, [200], {
    check: (a) => (Array.isArray(a.body.drivers) ? null : 'no drivers array'),
  });

  const routeId: number = search?.body?.results?.[0]?.routeId ?? feeders.booking().routeId;
  const riderId = feeders.booking().riderId;
  const key = `probe-${randomUUID()}`;
  const created = await call('hold seats', 'POST', '/v1/bookings', [201], { body: { routeId, riderId, seats: 1 }, headers: { 'idempotency-key': key } });
  await call('hold seats (same Idempotency-Key)', 'POST', '/v1/bookings', [200], {
    body: { routeId, riderId, seats: 1 },
    headers: { 'idempotency-key': key },
    check: (a) => (a.body.id === created?.body?.id ? null : 'a different booking came back'),
  });
  const id: string = created?.body?.id ?? randomUUID();
  await call('get booking', 'GET', `/v1/bookings/${id}`, [200], { check: (a) => (a.body.status === 'HELD' ? null : `status ${a.body.status}, expected HELD`) });

  const event = { eventId: `evt-${randomUUID()}`, bookingId: id, status: 'succeeded', amountMinor: 1000 };
  // call() sends JSON.stringify(body): the same bytes are signed here.
  const raw = JSON.stringify(event);
  const signature = `sha256=${createHmac('sha256', state.webhookSecret).update(raw).digest('hex')}`;
  await call('payment webhook (signed)', 'POST', '/v1/payments/webhook', [200], {
    body: event,
    headers: { 'x-signature': signature },
    check: (a) => (a.body.booking?.status === 'CONFIRMED' ? null : `booking ${a.body.booking?.status}, expected CONFIRMED`),
  });

  await call('cancel booking', 'POST', `/v1/bookings/${id}/cancel`, [200], { check: (a) => (a.body.status === 'CANCELLED' ? null : `status ${a.body.status}`) });
  return steps;
}
