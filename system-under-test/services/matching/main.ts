// matching: route search and nearby drivers. Spatial queries use cube + earthdistance with GiST
// indexes; search candidates are cached in Redis per geo cell and time bucket; reads go to the
// replica while its measured lag is under the threshold.
import { Gauge, Counter, Histogram } from 'prom-client';
import { z } from 'zod';
import { createApp, onShutdown, queryObject, validate, type ReadyReport } from '../lib/app.ts';
import { Cache } from '../lib/cache.ts';
import { Database, type DbTarget } from '../lib/db.ts';
import { common, flag, integer, numeric, poolEnv, poolSettings, readEnv } from '../lib/env.ts';
import { classify } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { cacheMetrics, createMetrics, dbMetrics } from '../lib/metrics.ts';
import { ReadRouter } from './read-routing.ts';
import { boundingBox, cellQuery, rank, type Candidate, type SearchParams } from './search.ts';
import { regression, variantOf } from './variant.ts';

const env = readEnv({
  ...common,
  ...poolEnv,
  DATABASE_URL: z.string().min(1),
  REPLICA_URL: z.string().min(1),
  REDIS_URL: z.string().min(1),
  CACHE_TTL_SECONDS: integer(1, 86_400).default(30),
  CACHE_FALLBACK: flag.default(true),
  READ_ROUTING: flag.default(true),
  MAX_REPLICA_LAG_SECONDS: numeric(0, 3_600).default(1),
  LAG_PROBE_INTERVAL_MS: integer(50, 60_000).default(250),
  // Canary candidates: `v2` ranks with seat headroom; `v2-regressed` is v2 made worse on purpose.
  VARIANT: z.enum(['v1', 'v2', 'v2-regressed']).default('v1'),
  REGRESSION_LATENCY_MS: integer(0, 60_000).optional(),
  REGRESSION_ERROR_RATE: numeric(0, 1).optional(),
});

const log = createLogger({ service: env.SERVICE_NAME, instance: env.INSTANCE_NAME, version: env.VERSION });
const metrics = createMetrics(env.SERVICE_NAME, env.VERSION);
const db = dbMetrics(metrics.registry);
const cacheRequests = cacheMetrics(metrics.registry);
const dbReads = new Counter({ name: 'db_reads_total', help: 'Reads by the database target they went to', labelNames: ['target'], registers: [metrics.registry] });
const replicaLag = new Gauge({ name: 'replica_lag_seconds', help: 'Measured replica lag (0 when caught up)', registers: [metrics.registry] });
const matchesReturned = new Histogram({
  name: 'matches_returned',
  help: 'Results returned per route search',
  buckets: [0, 1, 2, 5, 10, 20],
  registers: [metrics.registry],
});

const variant = variantOf(env.VARIANT, { latencyMs: env.REGRESSION_LATENCY_MS, errorRate: env.REGRESSION_ERROR_RATE });
const settings = poolSettings(env);
const primary = new Database('primary', env.DATABASE_URL, settings, db, log, env.INSTANCE_NAME);
const replica = new Database('replica', env.REPLICA_URL, settings, db, log, env.INSTANCE_NAME);
const cache = new Cache(env.REDIS_URL, cacheRequests, log, { fallback: env.CACHE_FALLBACK });
const router = new ReadRouter(replica, { enabled: env.READ_ROUTING, maxLagSeconds: env.MAX_REPLICA_LAG_SECONDS, intervalMs: env.LAG_PROBE_INTERVAL_MS }, { lag: replicaLag, up: metrics.dependencyUp }, log);

/**
 * The gateway's read-routing flag for this endpoint, when the request carries one
 * (`x-feature-flag: read-routing.nearby=on`): true on, false off, undefined not flagged.
 */
function readRoutingFlag(headers: { [name: string]: string | string[] | undefined }, endpoint: 'search' | 'nearby'): boolean | undefined {
  const match = /^read-routing\.(search|nearby)=(on|off)$/.exec(String(headers['x-feature-flag'] ?? ''));
  return match && match[1] === endpoint ? match[2] === 'on' : undefined;
}

/** A read on the routed target; a replica that fails mid-request falls back to the primary. */
async function read<R extends Record<string, unknown>>(op: string, sql: string, params: unknown[], flag?: boolean): Promise<{ rows: R[]; target: DbTarget }> {
  const target = router.target(flag);
  if (target === 'replica') {
    try {
      const rows = await replica.query<R>(op, sql, params);
      dbReads.inc({ target });
      return { rows, target };
    } catch (error) {
      if (classify(error).code !== 'DB_UNAVAILABLE') throw error;
      router.markReplicaDown();
    }
  }
  const rows = await primary.query<R>(op, sql, params);
  dbReads.inc({ target: 'primary' });
  return { rows, target: 'primary' };
}

const searchSchema = z.strictObject({
  lat: numeric(-90, 90),
  lng: numeric(-180, 180),
  time: z.iso.datetime({ offset: true }),
  seats: integer(1, 8).default(1),
  radius_m: integer(50, 20_000).default(2000),
});

const nearbySchema = z.strictObject({
  lat: numeric(-90, 90),
  lng: numeric(-180, 180),
  radius_m: integer(50, 20_000).default(3000),
  limit: integer(1, 100).default(10),
});

const CANDIDATES_SQL = `
  SELECT s.route_id AS "routeId", r.driver_id AS "driverId", s.lat, s.lng,
         (extract(epoch FROM s.eta) * 1000)::float8 AS eta,
         r.seats_available AS "seatsAvailable", r.price_minor AS "priceMinor", r.currency, d.rating::float8 AS rating
    FROM route_stops s
    JOIN routes r ON r.id = s.route_id
    JOIN drivers d ON d.id = r.driver_id
   WHERE point(s.lng, s.lat) <@ box(point($1, $2), point($3, $4))
     AND s.eta BETWEEN $5 AND $6
     AND r.status = 'scheduled'
     AND r.seats_available >= $7
   LIMIT 2000`;

const ready = async (): Promise<ReadyReport> => {
  const [primaryOk, redisOk] = await Promise.all([primary.ping(), cache.ping()]);
  metrics.dependencyUp.set({ dependency: 'postgres_primary' }, primaryOk ? 1 : 0);
  metrics.dependencyUp.set({ dependency: 'redis' }, redisOk ? 1 : 0);
  // The replica is not required: reads fall back to the primary without it.
  return { ready: primaryOk && redisOk, checks: { postgres_primary: primaryOk, redis: redisOk, postgres_replica: router.target() === 'replica' } };
};

const app = createApp({
  metrics,
  log,
  ready,
  beforeScrape: () => {
    primary.observePool();
    replica.observePool();
  },
});

app.get('/v1/routes/search', async (request) => {
  await regression(variant);
  const query = validate(searchSchema, queryObject(request.url));
  const params: SearchParams = { lat: query.lat, lng: query.lng, time: Date.parse(query.time), seats: query.seats, radiusM: query.radius_m };
  const cell = cellQuery(params);
  const cached = await cache.get(cell.key);
  let candidates: Candidate[];
  let readTarget: DbTarget | null = null;
  if (cached !== null) {
    candidates = JSON.parse(cached) as Candidate[];
  } else {
    const box = boundingBox(cell.lat, cell.lng, cell.radiusM);
    const { rows, target } = await read<Candidate & Record<string, unknown>>('search_candidates', CANDIDATES_SQL, [box.minLng, box.minLat, box.maxLng, box.maxLat, cell.from, cell.to, params.seats], readRoutingFlag(request.headers, 'search'));
    readTarget = target;
    // bigint columns arrive as strings from pg; ids here are well inside 2^53.
    candidates = rows.map((row) => ({ ...row, routeId: Number(row.routeId), driverId: Number(row.driverId) }));
    await cache.set(cell.key, JSON.stringify(candidates), env.CACHE_TTL_SECONDS);
  }
  const results = rank(candidates, params, variant.scoring);
  matchesReturned.observe(results.length);
  return { status: 200, headers: readTarget ? { 'x-read-target': readTarget } : undefined, body: { results, cache: cached !== null ? 'hit' : 'miss' } };
});

app.get('/v1/drivers/nearby', async (request) => {
  await regression(variant);
  const query = validate(nearbySchema, queryObject(request.url));
  const box = boundingBox(query.lat, query.lng, query.radius_m);
  const { rows, target } = await read<{ driverId: string; distanceM: number; rating: number; make: string; model: string; plate: string; seats: number }>(
    'drivers_nearby',
    `SELECT d.id AS "driverId", earth_distance(ll_to_earth($1, $2), ll_to_earth(d.lat, d.lng))::float8 AS "distanceM", d.rating::float8 AS rating,
            v.make, v.model, v.plate, v.seats
       FROM drivers d JOIN vehicles v ON v.driver_id = d.id
      WHERE point(d.lng, d.lat) <@ box(point($5, $6), point($7, $8))
        AND earth_distance(ll_to_earth($1, $2), ll_to_earth(d.lat, d.lng)) <= $3
      ORDER BY 2, d.id
      LIMIT $4`,
    [query.lat, query.lng, query.radius_m, query.limit, box.minLng, box.minLat, box.maxLng, box.maxLat],
    readRoutingFlag(request.headers, 'nearby'),
  );
  const drivers = rows.map((row) => ({
    driverId: Number(row.driverId),
    distanceM: Math.round(row.distanceM),
    rating: row.rating,
    vehicle: { make: row.make, model: row.model, plate: row.plate, seats: row.seats },
  }));
  return { status: 200, headers: { 'x-read-target': target }, body: { drivers } };
});

await app.listen(env.PORT, env.HOST);
router.start();
// dependency_up feeds the RedisDown / PostgresDown alerts, whether or not anyone polls /ready.
setInterval(() => void ready(), 1_000).unref();
log.info('listening', { port: env.PORT, variant: env.VARIANT });
onShutdown(log, [app.server], async () => {
  router.stop();
  cache.close();
  await Promise.allSettled([primary.close(), replica.close()]);
});
