import { createHmac, randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createFeeders, Prng, type Feeders } from '../fixtures/index.ts';
import { outcomeOf, RushhourError, type HttpClient, type Iteration, type RequestTemplate, type ScenarioDefinition, type WorkloadContext } from '../harness/index.ts';

// The ride-booking journeys, from the seeds' user flows. Each request is tagged with its
// endpoint (search, nearby, book, pay, get_booking), so thresholds can name
// `http_req_duration{endpoint:book}` and the report can draw one line per endpoint.

export type Step = 'search' | 'nearby' | 'book' | 'pay' | 'get_booking';

interface Journeys {
  feeders: Feeders;
  secret: string;
  /** The run's write history, when the scenario checks invariants. */
  history: WorkloadContext['history'];
  /** Bookings this run made (bounded), for pay and get_booking to act on. */
  held: string[];
}

function setup(context: WorkloadContext): Journeys {
  if (!context.dataset || !context.topology) throw new RushhourError('RUSHHOUR_ERR_USAGE', 'this scenario drives the stack and needs its dataset: it cannot run with --target');
  return { feeders: createFeeders(context.dataset, context.seed), secret: context.topology.webhookSecret, history: context.history, held: [] };
}

const searchPath = (s: ReturnType<Feeders['search']>) => `/v1/routes/search?lat=${s.lat}&lng=${s.lng}&time=${encodeURIComponent(s.time)}&seats=${s.seats}&radius_m=${s.radiusM}`;
const nearbyPath = (n: ReturnType<Feeders['nearby']>) => `/v1/drivers/nearby?lat=${n.lat}&lng=${n.lng}&radius_m=${n.radiusM}&limit=${n.limit}`;

async function search(http: HttpClient, j: Journeys): Promise<number | undefined> {
  const answer = await http.request('search', 'GET', searchPath(j.feeders.search()));
  const results = answer.json<{ results?: { routeId: number }[] }>()?.results;
  http.check('search answers a result list', answer.status === 200 && Array.isArray(results));
  return results?.[0]?.routeId;
}

async function nearby(http: HttpClient, j: Journeys): Promise<void> {
  const answer = await http.request('nearby', 'GET', nearbyPath(j.feeders.nearby()));
  http.check('nearby answers a driver list', answer.status === 200 && Array.isArray(answer.json<{ drivers?: unknown[] }>()?.drivers));
}

/** A hold; 409 (no seats left) is an expected answer of a busy system, not a failure. */
async function book(http: HttpClient, j: Journeys, routeId?: number): Promise<string | undefined> {
  const b = j.feeders.booking();
  const key = randomUUID();
  const body = { ...b, routeId: routeId ?? b.routeId };
  const answer = await http.request('book', 'POST', '/v1/bookings', { body, headers: { 'idempotency-key': key }, expect: [201, 409] });
  const id = answer.status === 201 ? answer.json<{ id: string }>()?.id : undefined;
  // No answer, or a 5xx: the hold may or may not exist (Jepsen's "info"), never "failed".
  j.history?.record({ type: 'book', outcome: outcomeOf(answer.status), idempotencyKey: key, bookingId: id, routeId: body.routeId, seats: body.seats });
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
  const event = JSON.parse(raw) as { eventId: string };
  const answer = await http.request('pay', 'POST', '/v1/payments/webhook', { body: event, headers: { 'x-signature': signature } });
  j.history?.record({ type: 'pay', outcome: outcomeOf(answer.status), eventId: event.eventId, bookingId });
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

/**
 * A fixed list of read requests from the feeders (searches and nearby lookups, `searchShare`
 * of them searches), for drivers that walk a request list: autocannon cannot run a journey.
 */
export function readRequests(count: number, searchShare: number): (context: WorkloadContext) => RequestTemplate[] {
  return (context) => {
    const j = setup(context);
    // Nearby lookups spread evenly through the list (request i is one when the running count
    // of (1 − searchShare) · i steps up), so any stretch of it has the mix.
    const nearbyShare = 1 - searchShare;
    return Array.from({ length: count }, (_, i): RequestTemplate =>
      Math.floor((i + 1) * nearbyShare) > Math.floor(i * nearbyShare)
        ? { endpoint: 'nearby', method: 'GET', path: nearbyPath(j.feeders.nearby()) }
        : { endpoint: 'search', method: 'GET', path: searchPath(j.feeders.search()) },
    );
  };
}

/**
 * A built-in's k6 twin (scenarios/k6/<name>.ts) and the data it reads: samples from the same
 * feeders, so k6 sends what the rushhour driver would (`twinData` in scenarios/k6/lib.ts).
 */
export function k6Twin(name: string): NonNullable<ScenarioDefinition['k6']> {
  return {
    script: fileURLToPath(new URL(`./k6/${name}.ts`, import.meta.url)),
    data: (context) => {
      const j = setup(context);
      return {
        webhookSecret: j.secret,
        searches: Array.from({ length: 500 }, () => j.feeders.search()),
        nearby: Array.from({ length: 200 }, () => j.feeders.nearby()),
        bookings: Array.from({ length: 500 }, () => j.feeders.booking()),
      };
    },
  };
}

/**
 * The built-ins' warm-up: five seconds of the scenario's own workload at 10 iterations/s opens
 * the services' pool connections and fills the cache, so a 6-second CI run (--scale 0.1) is
 * not judged on cold connections. A scenario about cold starts would leave it out.
 */
export const WARMUP = { duration: '5s', rate: 10 } as const;

export const OPENRIDE_MIX = { search: 40, book: 30, pay: 20, get_booking: 10 } as const;
