import { z } from 'zod';

// Every object is strict: a misspelt key is an error, never silently ignored.
// `.prefault({})` (not `.default`) so an omitted section still gets its inner defaults.

const int = (min: number, max: number) => z.number().int().min(min).max(max);

const serviceScale = z.strictObject({
  /** Instances of the service behind the gateway. */
  replicas: int(1, 8).default(2),
});

const poolSchema = z.strictObject({
  /** Connections per pg.Pool (each service has one per database target). */
  max: int(1, 200).default(10),
  /**
   * How long a request may wait for a free connection before it is shed with 503. 0 = no limit
   * (pg.Pool's default), a deliberately weakened setting: callers wait instead of being told to
   * retry (the pool-exhaustion experiment then fails).
   */
  connectionTimeoutMs: z.union([z.literal(0), int(50, 60_000)]).default(1_000),
  /** PostgreSQL statement_timeout for every connection. */
  statementTimeoutMs: int(50, 600_000).default(5_000),
  /**
   * How long the client waits for any answer to a query (pg's query_timeout). It is what ends a
   * query lost in a network partition, which statement_timeout (the server's) never sees. 0 = wait
   * forever, a deliberately weakened setting (the network-partition experiment then fails).
   */
  queryTimeoutMs: z.union([z.literal(0), int(50, 600_000)]).default(6_000),
  /** Requests already waiting for a connection beyond which new ones are shed at once. */
  maxWaiting: int(0, 10_000).default(50),
});

// Docker image references: name[:tag][@digest], lowercase repository path.
const imageRef = z.string().regex(/^[a-z0-9]+(?:[._\/:@-][a-zA-Z0-9_.-]+)*$/, 'must be a Docker image reference such as postgres:15-bookworm');

/** The official images the containers provider uses unless told otherwise (DESIGN.md). */
export const OFFICIAL_IMAGES = {
  postgres: 'postgres:15-bookworm',
  redis: 'redis:7-bookworm',
  prometheus: 'prom/prometheus:v2.53.4',
  faultProxy: 'ghcr.io/shopify/toxiproxy:2.12.0',
  node: 'node:20-bookworm-slim',
} as const;

export const configSchema = z.strictObject({
  /** Where the stack runs. Default: containers when a Docker engine answers, else local. */
  provider: z.enum(['local', 'containers']).optional(),
  stack: z
    .strictObject({
      gateway: z.strictObject({ replicas: z.literal(1).default(1) }).prefault({}),
      matching: serviceScale.prefault({}),
      booking: serviceScale.prefault({}),
      postgres: z
        .strictObject({
          sharedBuffersMB: int(16, 4096).default(128),
          maxConnections: int(20, 1000).default(200),
          /**
           * statement_timeout of the `reporting` role, which reporting jobs (and slow-query-storm's
           * runaway reports) log in as: the database cancels their queries after this. 0 = none, a
           * deliberately weakened setting: runaway reports pile up and take the CPU from every
           * other query (the slow-query-storm experiment then fails).
           */
          reportingStatementTimeoutMs: z.union([z.literal(0), int(100, 600_000)]).default(2_000),
        })
        .prefault({}),
      /** The whole boot (components, migrations, seed, readiness) must finish within this. */
      bootTimeoutMs: int(1_000, 600_000).default(60_000),
    })
    .prefault({}),
  containers: z
    .strictObject({
      /**
       * Where the containers provider's images come from. `official`: the images below (pulled
       * when missing). `offline`: rushhour's own, built here without a registry (`rushhour
       * images build --offline`). `auto`: the images below when present or pullable, else the
       * offline ones (built on first use).
       */
      imageSource: z.enum(['auto', 'official', 'offline']).default('auto'),
      images: z
        .strictObject({
          postgres: imageRef.default(OFFICIAL_IMAGES.postgres),
          redis: imageRef.default(OFFICIAL_IMAGES.redis),
          prometheus: imageRef.default(OFFICIAL_IMAGES.prometheus),
          faultProxy: imageRef.default(OFFICIAL_IMAGES.faultProxy),
          /** The base the SUT image is built on. */
          node: imageRef.default(OFFICIAL_IMAGES.node),
          /** A ready-made SUT image (your own build); when unset, rushhour builds one from system-under-test/containers/. */
          sut: imageRef.optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  sut: z
    .strictObject({
      /** Version label the SUT services report in their metrics. */
      version: z.string().min(1).max(64).default('1.0.0'),
      /** TTL of cached search candidates in Redis. */
      cacheTtlSeconds: int(1, 86_400).default(30),
      /**
       * Search reads through to the database when Redis fails. `false` is a deliberately weakened
       * setting: a cache error fails the search (the redis-failure experiments then fail).
       */
      cacheFallback: z.boolean().default(true),
      /** Send reads to the replica while its lag is under maxReplicaLagSeconds. */
      readRouting: z.boolean().default(true),
      maxReplicaLagSeconds: z.number().positive().max(3_600).default(1),
      /** How long a HELD booking keeps its seats before the sweeper expires it. */
      holdTtlSeconds: int(1, 86_400).default(600),
      /** How often each booking instance sweeps expired holds. */
      sweepIntervalMs: int(50, 600_000).default(1_000),
      /** Shared secret of the payment webhook's HMAC-SHA256 signature. */
      webhookSecret: z.string().min(16).default('rushhour-local-webhook-secret'),
      /**
       * The gateway retries a request whose connection was refused once on another instance and
       * takes the refusing one out of rotation. `false` is a deliberately weakened setting (only
       * the active health checks take a dead instance out): the instance-crash experiment fails.
       */
      gatewayRetry: z.boolean().default(true),
      /** How often the gateway probes each instance's /health (two failures in a row take it out). */
      gatewayHealthIntervalMs: int(100, 60_000).default(1_000),
      pool: poolSchema.prefault({}),
    })
    .prefault({}),
  fixtures: z
    .strictObject({
      /** PRNG seed: the same seed gives byte-identical data. */
      seed: int(0, 2 ** 31 - 1).default(42),
      routes: int(1, 1_000_000).default(10_000),
      /** Stops per route, origin and destination included. */
      stopsPerRoute: int(2, 20).default(5),
      drivers: int(1, 500_000).default(5_000),
      riders: int(1, 1_000_000).default(20_000),
      cities: z.array(z.enum(['lagos', 'kigali'])).min(1).default(['lagos', 'kigali']),
      /** The day departures are spread over (YYYY-MM-DD, UTC). */
      serviceDate: z.iso.date().default('2030-01-07'),
    })
    .prefault({}),
});

/** What a user writes in harness.config.ts: every field optional. */
export type UserConfig = z.input<typeof configSchema>;
/** The config after defaults: every field filled, deeply frozen. */
export type ResolvedConfig = DeepReadonly<z.output<typeof configSchema>>;

type DeepReadonly<T> = T extends (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
