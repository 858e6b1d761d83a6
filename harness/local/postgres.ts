import path from 'node:path';
import { canQuery, createDatabase } from '../readiness.ts';
import { runToCompletion } from '../process.ts';
import { postgresServerArgs, postgresUrlFor, type PostgresSettings } from '../stack-plan.ts';
import type { LocalComponent } from './component.ts';
import { logFile, ownedDir, postgresUser, remainingMs, startComponent, type LocalContext } from './context.ts';

export interface PostgresBinaries {
  postgres: string;
  initdb: string;
  pg_basebackup: string;
}

export const postgresUrl = (port: number, database = 'rushhour') => postgresUrlFor('127.0.0.1', port, database);
const serverArgs = (port: number, settings: PostgresSettings) => postgresServerArgs(settings, { port, address: '127.0.0.1' });
// SIGINT is PostgreSQL's "fast" shutdown: it rolls back open transactions and exits promptly.
const FAST_SHUTDOWN = { signal: 'SIGINT', timeoutMs: 10_000 } as const;

/** Runs a PostgreSQL tool to completion as the PostgreSQL user, logging beside the servers. */
function runTool(ctx: LocalContext, name: string, command: string, args: string[]): Promise<void> {
  return runToCompletion({ name, command, args, logFile: logFile(ctx, name), ...postgresUser() }, remainingMs(ctx), ctx.signal);
}

export async function startPostgresPrimary(ctx: LocalContext, bins: PostgresBinaries, port: number, settings: PostgresSettings): Promise<LocalComponent> {
  const owner = postgresUser();
  const dataDir = path.join(ctx.runDir, 'pg-primary');
  ownedDir(dataDir, owner);
  await runTool(ctx, 'initdb', bins.initdb, ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
  const component = startComponent(
    ctx,
    { name: 'postgres-primary', command: bins.postgres, args: ['-D', dataDir, ...serverArgs(port, settings)], ...owner },
    { stop: FAST_SHUTDOWN, ready: { probe: () => canQuery(port, 'postgres', 'SELECT true AS ok'), what: 'accepting connections' } },
  );
  await component.waitReady(remainingMs(ctx), ctx.signal);
  await createDatabase(port);
  return component;
}

/** A streaming hot standby of the primary, cloned with pg_basebackup (-R writes the standby config). */
export async function startPostgresReplica(ctx: LocalContext, bins: PostgresBinaries, primaryPort: number, port: number, settings: PostgresSettings): Promise<LocalComponent> {
  const owner = postgresUser();
  const dataDir = path.join(ctx.runDir, 'pg-replica');
  ownedDir(dataDir, owner);
  await runTool(ctx, 'pg_basebackup', bins.pg_basebackup, ['-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
  const component = startComponent(
    ctx,
    { name: 'postgres-replica', command: bins.postgres, args: ['-D', dataDir, ...serverArgs(port, settings)], ...owner },
    { stop: FAST_SHUTDOWN, ready: { probe: () => canQuery(port, 'rushhour', 'SELECT pg_is_in_recovery() AS ok'), what: 'streaming as a hot standby' } },
  );
  await component.waitReady(remainingMs(ctx), ctx.signal);
  return component;
}
