import { createHmac, randomUUID } from 'node:crypto';
import { createFeeders, Prng, type Feeders } from '../fixtures/index.ts';
import { RushhourError, type HttpClient, type Iteration, type WorkloadContext } from '../harness/index.ts';

// The ride-booking journeys, from the seeds' user flows. Each request is tagged with its
// endpoint (search, nearby, book, pay, get_booking), so thresholds can name
// `http_req_duration{endpoint:book}` and the report can draw one line per endpoint.

export type Step = 'search' | 'nearby' | 'book' | 'pay' | 'get_booking';

interface Journeys {
  feeders: Feeders;
  secret: string;
  /** Bookings this run made (bounded), for pay and get_booking to act on. */
  held: string[];
}

function setup(context: WorkloadContext): Journeys {
  if (!context.dataset || !context.topology) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'this scenario drives the stack and needs its dataset: it cannot run with --target');
  return { feeders: createFeeders(context.dataset, context.seed), secret: context.topology.webhookSecret, held: [] };
}

async function search(http: HttpClient, j: Journeys): Promise<number | undefined> {
  const s = j.feeders.search();
  const answer = await http.request('search', 'GET', `/v1/routes/search?lat=${s.lat}&lng=${s.lng}&time=${encodeURIComponent(s.time)}&seats=${s.seats}&radius_m=${s.radiusM}`);
  const results = answer.json<{ results?: { routeId: number }[] }>()?.results;
  http.check('search answers a result list', answer.status === 200 && Array.isArray(results));
  return results?.[0]?.routeId;
}

async function nearby(http: HttpClient, j: Journeys): Promise<void> {
  const n = j.feeders.nearby();
  const answer = await http.request('nearby', 'GET', `/v1/drivers/nearby?lat=${n.lat}&lng=${n.lng}&radius_m=${n.radiusM}&limit=${n.limit}`);
  http.check('nearby answers a driver list', answer.status === 200 && Array.isArray(answer.json<{ drivers?: unknown[] }>()?.drivers));
}

/** A hold; 409 (no seats left) is an expected answer of a busy system, not a failure. */
async function book(http: HttpClient, j: Journeys, routeId?: number): Promise<string | undefined> {
  const b = j.feeders.booking();
  const answer = await http.request('book', 'POST', '/v1/bookings', { body: { ...b, routeId: routeId ?? b.routeId }, headers: { 'idempotency-key': randomUUID() }, expect: [201, 409] });
  const id = answer.status === 201 ? answer.json<{ id: string }>()?.id : undefined;
  http.check('booking is held or refused for lack of seats', answer.status === 201 || answer.status === 409);
  if (id) {
    j.held.push(id);
    if (j.held.length > 1_000) j.held.shift();
  }
  return id;
}

async function pay(http: HttpClient, j: Journeys, bookingId: string): Promise<void> {
  const raw = JSON.stringify({ eventId: `evt-${randomUUID()}`, bookingId, status: 'succeeded', amountMinor: 1_000 });
  const signature = `sha256=${createHmac('sha256', j.secret).update(raw).digest('hex')}`;
  // 200 also for a hold that expired meanwhile: the SUT records the event as ignored.
  const answer = await http.request('pay', 'POST', '/v1/payments/webhook', { body: JSON.parse(raw), headers: { 'x-signature': signature } });
  http.check('payment webhook accepted', answer.status === 200);
}

async function getBooking(http: HttpClient, bookingId: string): Promise<void> {
  const answer = await http.request('get_booking', 'GET', `/v1/bookings/${bookingId}`);
  http.check('booking readable', answer.status === 200);
}

/** search → book → signed payment webhook → get booking. */
export function bookingFlow(context: WorkloadContext): Iteration {
  const j = setup(context);
  return async (http) => {
    const routeId = await search(http, j);
    const id = await book(http, j, routeId);
    if (!id) return;
    await pay(http, j, id);
    await getBooking(http, id);
  };
}

/** Nearby drivers, then a route search: the rider opening the app. */
export function browseFlow(context: WorkloadContext): Iteration {
  const j = setup(context);
  return async (http) => {
    await nearby(http, j);
    await search(http, j);
  };
}

/**
 * A weighted mix of single requests, one per iteration (the OpenRide mix is search 40,
 * book 30, pay 20, get_booking 10). Pay and get_booking act on a booking this run holds;
 * until there is one, they book first.
 */
export function requestMix(weights: Partial<Record<Step, number>>): (context: WorkloadContext) => Iteration {
  return (context) => {
    const j = setup(context);
    const prng = new Prng(context.seed).fork('request-mix');
    const entries = Object.entries(weights).filter(([, w]) => (w ?? 0) > 0) as [Step, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    const pick = (): Step => {
      let roll = prng.next() * total;
      for (const [step, weight] of entries) if ((roll -= weight) < 0) return step;
      return entries.at(-1)![0];
    };
    return async (http) => {
      const step = pick();
      const existing = () => j.held[Math.floor(prng.next() * j.held.length)];
      switch (step) {
        case 'search':
          return void (await search(http, j));
        case 'nearby':
          return nearby(http, j);
        case 'book':
          return void (await book(http, j));
        case 'pay': {
          const id = existing() ?? (await book(http, j));
          if (id) await pay(http, j, id);
          return;
        }
        case 'get_booking': {
          const id = existing() ?? (await book(http, j));
          if (id) await getBooking(http, id);
          return;
        }
      }
    };
  };
}

export const OPENRIDE_MIX = { search: 40, book: 30, pay: 20, get_booking: 10 } as const;
