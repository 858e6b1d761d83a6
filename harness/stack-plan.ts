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

/** The dependency links the fault proxy carries, by their Toxiproxy proxy names. */
export const PROXIED_LINKS = ['postgres-primary', 'postgres-replica', 'redis'] as const;
export type ProxiedLink = (typeof PROXIED_LINKS)[number];

/** Where a service reaches its dependencies (through the fault proxy, on both providers). */
export interface DependencyUrls {
  primary: string;
  replica: string;
  redis: string;
}

export const postgresUrlFor = (host: string, port: number, database = 'rushhour') => `postgres://postgres@${host}:${port}/${database}`;

/** The environment one backend instance is started with (its identity and port added by the provider). */
export function serviceEnv(config: ResolvedConfig, instance: PlannedInstance, deps: DependencyUrls): Record<string, string> {
  const pool = config.sut.pool;
  const poolEnv = {
    POOL_MAX: String(pool.max),
    POOL_CONNECTION_TIMEOUT_MS: String(pool.connectionTimeoutMs),
    STATEMENT_TIMEOUT_MS: String(pool.statementTimeoutMs),
    POOL_MAX_WAITING: String(pool.maxWaiting),
  };
  if (instance.group === 'matching') {
    return {
      ...poolEnv,
      DATABASE_URL: deps.primary,
      REPLICA_URL: deps.replica,
      REDIS_URL: deps.redis,
      CACHE_TTL_SECONDS: String(config.sut.cacheTtlSeconds),
      READ_ROUTING: String(config.sut.readRouting),
      MAX_REPLICA_LAG_SECONDS: String(config.sut.maxReplicaLagSeconds),
    };
  }
  return {
    ...poolEnv,
    DATABASE_URL: deps.primary,
    REDIS_URL: deps.redis,
    HOLD_TTL_SECONDS: String(config.sut.holdTtlSeconds),
    SWEEP_INTERVAL_MS: String(config.sut.sweepIntervalMs),
    WEBHOOK_SECRET: config.sut.webhookSecret,
  };
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
