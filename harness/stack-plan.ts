import type { ResolvedConfig } from './config/schema.ts';

// The one declaration both providers build from: which instances exist, what each service is
// told, how PostgreSQL is tuned, which dependency links pass through the fault proxy. Only
// addresses differ between a child process on 127.0.0.1 and a container on a private network.

export type ServiceGroup = 'gateway' | 'matching' | 'booking';

export interface PlannedInstance {
  name: string;
  group: ServiceGroup;
  version: string;
}

export interface StackPlan {
  gateway: PlannedInstance;
  /** matching-1..N then booking-1..N, in that order. */
  backends: PlannedInstance[];
}

export function planInstances(config: ResolvedConfig): StackPlan {
  const version = config.sut.version;
  const group = (name: 'matching' | 'booking', count: number) => Array.from({ length: count }, (_, i) => ({ name: `${name}-${i + 1}`, group: name, version }));
  return {
    gateway: { name: 'gateway', group: 'gateway', version },
    backends: [...group('matching', config.stack.matching.replicas), ...group('booking', config.stack.booking.replicas)],
  };
}

/** What the services depend on, by the names the stack's components have. */
export const DEPENDENCIES = ['postgres-primary', 'postgres-replica', 'redis'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];

/** Which dependencies each backend service reaches (booking never reads from the replica). */
const REACHES: Record<'matching' | 'booking', readonly Dependency[]> = {
  matching: ['postgres-primary', 'postgres-replica', 'redis'],
  booking: ['postgres-primary', 'redis'],
};

export interface ProxiedLink {
  /** Its Toxiproxy proxy name: `<service>.<dependency>`, e.g. `booking.redis`. */
  name: string;
  service: 'matching' | 'booking';
  dependency: Dependency;
}

/**
 * The links the fault proxy carries: one per service and dependency, so a partition can cut one
 * service off from one dependency while every other path keeps working.
 */
export const PROXIED_LINKS: readonly ProxiedLink[] = Object.freeze(
  (['matching', 'booking'] as const).flatMap((service) => REACHES[service].map((dependency) => ({ name: `${service}.${dependency}`, service, dependency }))),
);

/** What a link fault may name: a dependency (every service's link to it) or one link (`booking.redis`). */
export const LINK_TARGETS = [...DEPENDENCIES, ...PROXIED_LINKS.map((link) => link.name)] as [string, ...string[]];

/** The proxies a link fault acts on. */
export function linksOf(target: string): string[] {
  return PROXIED_LINKS.filter((link) => link.name === target || link.dependency === target).map((link) => link.name);
}

/** Where one service reaches a dependency (through its own link on the fault proxy). */
export type DependencyUrl = (link: ProxiedLink) => string;

export const postgresUrlFor = (host: string, port: number, database = 'rushhour') => `postgres://postgres@${host}:${port}/${database}`;

/** The environment one backend instance is started with (its identity and port added by the provider). */
export function serviceEnv(config: ResolvedConfig, instance: PlannedInstance, urlOf: DependencyUrl): Record<string, string> {
  const pool = config.sut.pool;
  const poolEnv = {
    POOL_MAX: String(pool.max),
    POOL_CONNECTION_TIMEOUT_MS: String(pool.connectionTimeoutMs),
    STATEMENT_TIMEOUT_MS: String(pool.statementTimeoutMs),
    QUERY_TIMEOUT_MS: String(pool.queryTimeoutMs),
    POOL_MAX_WAITING: String(pool.maxWaiting),
  };
  const via = (dependency: Dependency) => urlOf(PROXIED_LINKS.find((link) => link.service === instance.group && link.dependency === dependency)!);
  if (instance.group === 'matching') {
    return {
      ...poolEnv,
      DATABASE_URL: via('postgres-primary'),
      REPLICA_URL: via('postgres-replica'),
      REDIS_URL: via('redis'),
      CACHE_TTL_SECONDS: String(config.sut.cacheTtlSeconds),
      CACHE_FALLBACK: String(config.sut.cacheFallback),
      READ_ROUTING: String(config.sut.readRouting),
      MAX_REPLICA_LAG_SECONDS: String(config.sut.maxReplicaLagSeconds),
    };
  }
  return {
    ...poolEnv,
    DATABASE_URL: via('postgres-primary'),
    REDIS_URL: via('redis'),
    HOLD_TTL_SECONDS: String(config.sut.holdTtlSeconds),
    SWEEP_INTERVAL_MS: String(config.sut.sweepIntervalMs),
    WEBHOOK_SECRET: config.sut.webhookSecret,
  };
}

/** The gateway's own settings (its upstreams and admin port are the provider's). */
export function gatewayEnv(config: ResolvedConfig): Record<string, string> {
  return { RETRY_REFUSED: String(config.sut.gatewayRetry), HEALTH_INTERVAL_MS: String(config.sut.gatewayHealthIntervalMs) };
}

/** The identity every SUT process gets, whatever runs it. */
export function instanceEnv(instance: PlannedInstance, port: number): Record<string, string> {
  return { SERVICE_NAME: instance.group, INSTANCE_NAME: instance.name, VERSION: instance.version, PORT: String(port) };
}

/** The gateway's UPSTREAMS: every backend at full weight, addressed as the provider says. */
export function gatewayUpstreams(backends: readonly PlannedInstance[], urlOf: (instance: PlannedInstance) => string) {
  const entries = (group: 'matching' | 'booking') =>
    backends.filter((instance) => instance.group === group).map((instance) => ({ name: instance.name, url: urlOf(instance), weight: 100, version: instance.version }));
  return { matching: entries('matching'), booking: entries('booking') };
}

export interface PostgresSettings {
  sharedBuffersMB: number;
  maxConnections: number;
}

/**
 * Server settings for a disposable test database: durability off (the data dir dies with the
 * stack) and replication settings that keep the replica close. Passed as `-c` flags, so the
 * local provider and the container recipe run PostgreSQL identically.
 */
export function postgresServerArgs(settings: PostgresSettings, listen: { port: number; address: string }): string[] {
  const options: Record<string, string> = {
    port: String(listen.port),
    listen_addresses: listen.address,
    unix_socket_directories: '',
    max_connections: String(settings.maxConnections),
    shared_buffers: `${settings.sharedBuffersMB}MB`,
    // No fsync (a test stack need not survive a power cut), but commits are written to the WAL
    // before they are acknowledged: a crashed primary (kill, chaos) must keep every booking it
    // confirmed. With synchronous_commit off the last ~200 ms of acknowledged commits were lost.
    fsync: 'off',
    synchronous_commit: 'on',
    full_page_writes: 'off',
    jit: 'off',
    max_wal_size: '1GB',
    wal_level: 'replica',
    max_wal_senders: '10',
    hot_standby: 'on',
    hot_standby_feedback: 'on',
    wal_receiver_status_interval: '1s',
    logging_collector: 'off',
    log_min_messages: 'warning',
    log_line_prefix: '%m [%p] ',
  };
  return Object.entries(options).flatMap(([key, value]) => ['-c', `${key}=${value}`]);
}

export interface ScrapeTarget {
  job: 'gateway' | 'matching' | 'booking';
  instanceName: string;
  /** host:port as Prometheus reaches it. */
  address: string;
}

/** Prometheus file_sd target files (targets/<job>.json), keyed by file name. */
export function scrapeTargetFiles(targets: readonly ScrapeTarget[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const job of ['gateway', 'matching', 'booking'] as const) {
    const groups = targets.filter((target) => target.job === job).map((target) => ({ targets: [target.address], labels: { instance_name: target.instanceName } }));
    files[`${job}.json`] = JSON.stringify(groups, null, 2);
  }
  return files;
}
