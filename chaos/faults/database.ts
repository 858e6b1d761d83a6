import pg from 'pg';
import { injectWith, type ActiveFault, type FaultContext } from './fault.ts';

// Faults inside PostgreSQL, by SQL on the servers themselves (not through the fault proxy, so
// the proxy's own faults stay independent): replica lag and a slow-query storm on the primary.

async function sql(url: string, statements: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: 'rushhour-fault' });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Replica lag. `pause-replay`: WAL is still received, nothing is applied, so the lag grows for
 * as long as the fault holds (pg_wal_replay_pause). `apply-delay`: every commit is applied
 * `delayMs` late (recovery_min_apply_delay), a steady, bounded lag.
 */
export async function replicaLag(context: FaultContext, mode: { kind: 'pause-replay' } | { kind: 'apply-delay'; delayMs: number }): Promise<ActiveFault> {
  const url = context.topology.endpoints.postgresReplica;
  const [inject, undo] =
    mode.kind === 'pause-replay'
      ? [['SELECT pg_wal_replay_pause()'], ['SELECT pg_wal_replay_resume()']]
      : [[`ALTER SYSTEM SET recovery_min_apply_delay = '${Math.round(mode.delayMs)}ms'`, 'SELECT pg_reload_conf()'], ['ALTER SYSTEM RESET recovery_min_apply_delay', 'SELECT pg_reload_conf()']];
  return injectWith(
    context,
    mode.kind === 'pause-replay' ? 'postgres-replica: replay paused' : `postgres-replica: applies ${mode.delayMs} ms late`,
    [{ kind: 'sql', url, statements: undo }],
    () => sql(url, inject),
    () => sql(url, undo),
  );
}

/**
 * A slow-query storm on the primary: `connections` sessions each running `pg_sleep` queries of
 * `queryMs` back to back, holding backends and CPU slots as a runaway report would. Bounded:
 * the loops end on revert or after `maxMs`, whichever comes first; the revert also cancels the
 * queries in flight (and the ledger's undo terminates the sessions if this process died).
 */
export async function slowQueryStorm(context: FaultContext, options: { connections: number; queryMs: number; maxMs?: number }): Promise<ActiveFault> {
  const url = context.topology.endpoints.postgresPrimary;
  const tag = `rushhour-storm-${Math.random().toString(36).slice(2, 8)}`;
  const clients: pg.Client[] = [];
  let stopped = false;
  const until = Date.now() + (options.maxMs ?? 600_000);
  const loops: Promise<void>[] = [];
  const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`;
  return injectWith(
    context,
    `postgres-primary: ${options.connections} × pg_sleep(${options.queryMs} ms)`,
    [{ kind: 'sql', url, statements: [terminate] }],
    async () => {
      for (let i = 0; i < options.connections; i++) {
        const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: tag });
        client.on('error', () => {});
        await client.connect();
        clients.push(client);
        loops.push(
          (async () => {
            while (!stopped && Date.now() < until) await client.query('SELECT pg_sleep($1)', [options.queryMs / 1_000]).catch(() => {});
          })(),
        );
      }
    },
    async () => {
      stopped = true;
      await sql(url, [`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`]);
      await Promise.all(loops);
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
    },
  );
}
