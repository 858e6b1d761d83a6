// Shared by the k6 twins of the built-in scenarios. A twin holds only its workload, in k6's
// API; its options (executor, thresholds, trend stats) come from the rushhour scenario through
// a JSON file the k6 driver writes, so the twin and the built-in cannot drift apart. Run with
// `rushhour run <scenario> --driver k6` (k6 must be on PATH).
import { check } from 'k6';
import crypto from 'k6/crypto';
import http from 'k6/http';
import type { Options } from 'k6/options';

/** What the k6 driver hands a twin: request data sampled by rushhour's feeders, and the stack. */
export interface TwinData {
  baseUrl: string;
  webhookSecret: string;
  searches: { lat: number; lng: number; time: string; seats: number; radiusM: number }[];
  nearby: { lat: number; lng: number; radiusM: number; limit: number }[];
  bookings: { routeId: number; riderId: number; seats: number }[];
}

// Init context: read once per VU (k6 shares nothing between VUs).
const data: TwinData = JSON.parse(open(__ENV.RUSHHOUR_DATA ?? 'data.json'));

/** The scenario's options as the harness wrote them, plus a submetric per endpoint for the summary. */
export function twinOptions(endpoints: readonly Step[]): Options {
  const options = JSON.parse(open(__ENV.RUSHHOUR_OPTIONS ?? 'options.json')) as Options;
  const thresholds = { ...options.thresholds };
  // An empty threshold list declares a submetric: its stats then appear in the summary.
  for (const endpoint of endpoints) {
    thresholds[`http_req_duration{endpoint:${endpoint}}`] ??= [];
    thresholds[`http_req_failed{endpoint:${endpoint}}`] ??= [];
  }
  return { ...options, thresholds };
}

/** The summary goes where the driver reads it, and a short text to stdout. */
export function handleSummary(summary: object): Record<string, string> {
  return { [__ENV.RUSHHOUR_SUMMARY ?? 'summary.json']: JSON.stringify(summary) };
}

export type Step = 'search' | 'nearby' | 'book' | 'pay' | 'get_booking';

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)]!;
const held: string[] = [];

export function search(): number | undefined {
  const s = pick(data.searches);
  const answer = http.get(`${data.baseUrl}/v1/routes/search?lat=${s.lat}&lng=${s.lng}&time=${encodeURIComponent(s.time)}&seats=${s.seats}&radius_m=${s.radiusM}`, { tags: { endpoint: 'search' } });
  const results = answer.status === 200 ? (answer.json('results') as { routeId: number }[] | null) : null;
  check(answer, { 'search answers a result list': () => Array.isArray(results) });
  return results?.[0]?.routeId;
}

export function nearby(): void {
  const n = pick(data.nearby);
  const answer = http.get(`${data.baseUrl}/v1/drivers/nearby?lat=${n.lat}&lng=${n.lng}&radius_m=${n.radiusM}&limit=${n.limit}`, { tags: { endpoint: 'nearby' } });
  check(answer, { 'nearby answers a driver list': (r) => r.status === 200 && Array.isArray(r.json('drivers')) });
}

/** A hold; 409 (no seats left) is an expected answer of a busy system. */
export function book(routeId?: number): string | undefined {
  const b = pick(data.bookings);
  const answer = http.post(`${data.baseUrl}/v1/bookings`, JSON.stringify({ ...b, routeId: routeId ?? b.routeId }), {
    headers: { 'content-type': 'application/json', 'idempotency-key': `${__VU}-${Date.now()}-${Math.random()}` },
    tags: { endpoint: 'book' },
    responseCallback: http.expectedStatuses(201, 409),
  });
  check(answer, { 'booking is held or refused for lack of seats': (r) => r.status === 201 || r.status === 409 });
  const id = answer.status === 201 ? (answer.json('id') as string) : undefined;
  if (id) {
    held.push(id);
    if (held.length > 1_000) held.shift();
  }
  return id;
}

export function pay(bookingId: string): void {
  const raw = JSON.stringify({ eventId: `evt-${__VU}-${Date.now()}-${Math.random()}`, bookingId, status: 'succeeded', amountMinor: 1_000 });
  const signature = `sha256=${crypto.hmac('sha256', data.webhookSecret, raw, 'hex')}`;
  const answer = http.post(`${data.baseUrl}/v1/payments/webhook`, raw, { headers: { 'content-type': 'application/json', 'x-signature': signature }, tags: { endpoint: 'pay' } });
  check(answer, { 'payment webhook accepted': (r) => r.status === 200 });
}

export function getBooking(bookingId: string): void {
  const answer = http.get(`${data.baseUrl}/v1/bookings/${bookingId}`, { tags: { endpoint: 'get_booking' } });
  check(answer, { 'booking readable': (r) => r.status === 200 });
}

/** search → book → signed payment webhook → get booking (the smoke journey). */
export function bookingFlow(): void {
  const id = book(search());
  if (!id) return;
  pay(id);
  getBooking(id);
}

/** A weighted mix of single requests, one per iteration, as `requestMix` in scenarios/journeys.ts. */
export function requestMix(weights: Partial<Record<Step, number>>): () => void {
  const entries = Object.entries(weights).filter(([, w]) => (w ?? 0) > 0) as [Step, number][];
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  return () => {
    let roll = Math.random() * total;
    const step = entries.find(([, weight]) => (roll -= weight) < 0)?.[0] ?? entries[entries.length - 1]![0];
    const existing = () => (held.length ? pick(held) : book());
    if (step === 'search') search();
    else if (step === 'nearby') nearby();
    else if (step === 'book') book();
    else {
      const id = existing();
      if (id) (step === 'pay' ? pay : getBooking)(id);
    }
  };
}
