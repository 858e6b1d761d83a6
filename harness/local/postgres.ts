import path from 'node:path';
import pg from 'pg';
import { runToCompletion, waitUntilReady, type ProcessHandle } from '../process.ts';
import { logFile, ownedDir, postgresUser, remainingMs, startComponent, type LocalContext } from './context.ts';

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
  pg_basebackup: string;
}

export interface PostgresSettings {
  sharedBuffersMB: number;
  maxConnections: number;
}

export const postgresUrl = (port: number, database = 'rushhour') => `postgres://postgres@127.0.0.1:${port}/${database}`;

/**
 * Server settings for a disposable test database: durability off (the data dir dies with the
 * stack), TCP on loopback only, and replication settings that keep the replica close.
 */
function serverArgs(port: number, settings: PostgresSettings): string[] {
  const options: Record<string, string> = {
    port: String(port),
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    max_connections: String(settings.maxConnections),
    shared_buffers: `${settings.sharedBuffersMB}MB`,
    fsync: 'off',
    synchronous_commit: 'off',
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

async function canQuery(port: number, database: string, sql: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrl(port, database), connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    const result = await client.query(sql);
    return result.rows[0]?.ok === true;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Runs a PostgreSQL tool to completion as the PostgreSQL user, logging beside the servers. */
function runTool(ctx: LocalContext, name: string, command: string, args: string[]): Promise<void> {
  return runToCompletion({ name, command, args, logFile: logFile(ctx, name), ...postgresUser() }, remainingMs(ctx), ctx.signal);
}

export async function startPostgresPrimary(ctx: LocalContext, bins: PostgresBinaries, port: number, settings: PostgresSettings): Promise<ProcessHandle> {
  const owner = postgresUser();
  const dataDir = path.join(ctx.runDir, 'pg-primary');
  ownedDir(dataDir, owner);
  await runTool(ctx, 'initdb', bins.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  // SIGINT is PostgreSQL's "fast" shutdown: it rolls back open transactions and exits promptly.
  const handle = startComponent(ctx, { name: 'postgres-primary', command: bins.postgres, args: ['-D', dataDir, ...serverArgs(port, settings)], ...owner }, { signal: 'SIGINT', timeoutMs: 10_000 });
  await waitUntilReady(handle, () => canQuery(port, 'postgres', 'SELECT true AS ok'), { timeoutMs: remainingMs(ctx), signal: ctx.signal, what: 'accepting connections' });
  const admin = new pg.Client({ connectionString: postgresUrl(port, 'postgres') });
  await admin.connect();
  try {
    await admin.query('CREATE DATABASE rushhour');
  } finally {
    await admin.end();
  }
  return handle;
}

/** A streaming hot standby of the primary, cloned with pg_basebackup (-R writes the standby config). */
export async function startPostgresReplica(ctx: LocalContext, bins: PostgresBinaries, primaryPort: number, port: number, settings: PostgresSettings): Promise<ProcessHandle> {
  const owner = postgresUser();
  const dataDir = path.join(ctx.runDir, 'pg-replica');
  ownedDir(dataDir, owner);
  await runTool(ctx, 'pg_basebackup', bins.pg_basebackup, ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
  const handle = startComponent(ctx, { name: 'postgres-replica', command: bins.postgres, args: ['-D', dataDir, ...serverArgs(port, settings)], ...owner }, { signal: 'SIGINT', timeoutMs: 10_000 });
  await waitUntilReady(handle, () => canQuery(port, 'rushhour', 'SELECT pg_is_in_recovery() AS ok'), { timeoutMs: remainingMs(ctx), signal: ctx.signal, what: 'streaming as a hot standby' });
  return handle;
}
