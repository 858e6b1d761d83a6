import pg from 'pg';
import { asRole, REPORTING_ROLE } from '../../harness/reporting-role.ts';
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
 * A slow-query storm on the primary, in two kinds.
 *
 * `sleep`: `connections` sessions each holding a backend with pg_sleep(queryMs), back to back
 * (a connection hog).
 *
 * `scan`: runaway reports arriving like dashboard refreshes, `reportsPerSecond` of them whether
 * or not the last ones finished, each a triple cross join of route_stops that would run for
 * half an hour, on a session of its own logged in as the `reporting` role. Only the role's
 * statement_timeout (the database's, `stack.postgres.reportingStatementTimeoutMs`) ends them:
 * with 2 s at 1.5 a second about three run at once; with none they pile up to `maxSessions`
 * and take the CPU from every other query. A report that finds every session busy is skipped.
 *
 * Bounded either way: the loops end on revert or after `maxMs`, whichever comes first; the
 * revert cancels the queries in flight, and the ledger's undo terminates the sessions if this
 * process died.
 */
export async function slowQueryStorm(context: FaultContext, options: { work: 'sleep'; connections: number; queryMs: number; maxMs?: number } | { work: 'scan'; reportsPerSecond: number; maxSessions?: number; maxMs?: number }): Promise<ActiveFault> {
  const primary = context.topology.endpoints.postgresPrimary;
  const tag = `rushhour-storm-${Math.random().toString(36).slice(2, 8)}`;
  const clients: pg.Client[] = [];
  const idle: pg.Client[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const until = Date.now() + (options.maxMs ?? 600_000);
  const loops: Promise<void>[] = [];
  const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`;
  const url = options.work === 'scan' ? asRole(primary, REPORTING_ROLE) : primary;
  const open = async () => {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: tag });
    client.on('error', () => {});
    clients.push(client);
    await client.connect();
    return client;
  };
  const label =
    options.work === 'sleep'
      ? `postgres-primary: ${options.connections} × pg_sleep(${options.queryMs} ms)`
      : `postgres-primary: runaway reports at ${options.reportsPerSecond}/s as role ${REPORTING_ROLE} (at most ${options.maxSessions ?? 40} sessions)`;
  return injectWith(
    context,
    label,
    [{ kind: 'sql', url: primary, statements: [terminate] }],
    async () => {
      if (options.work === 'sleep') {
        for (let i = 0; i < options.connections; i++) {
          const client = await open();
          loops.push(
            (async () => {
              while (!stopped && Date.now() < until) await client.query('SELECT pg_sleep($1)', [options.queryMs / 1_000]).catch(() => {});
            })(),
          );
        }
        return;
      }
      // One session first: a missing role or a refused login fails the injection, not the storm.
      idle.push(await open());
      const maxSessions = options.maxSessions ?? 40;
      const report = 'SELECT count(*) FROM route_stops a CROSS JOIN route_stops b CROSS JOIN route_stops c WHERE a.route_id <> b.route_id';
      const arrive = () => {
        if (stopped || Date.now() >= until) return;
        const pending = idle.length > 0 ? Promise.resolve(idle.pop()!) : clients.length < maxSessions ? open() : null;
        if (!pending) return; // every session busy: this refresh is skipped
        const run: Promise<unknown> = pending
          .then((client) => (stopped ? undefined : client.query(report).catch(() => {}).then(() => (stopped ? undefined : idle.push(client)))))
          .catch(() => {})
          .finally(() => inFlight.delete(run));
        inFlight.add(run);
      };
      timer = setInterval(arrive, 1_000 / options.reportsPerSecond);
      arrive();
    },
    async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await sql(primary, [`SELECT pg_cancel_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`]);
      await Promise.all([...loops, ...inFlight]);
      await Promise.all(clients.map((client) => client.end().catch(() => {})));
      // A backend busy with a scan does not notice its client left: make sure none is left.
      await sql(primary, [terminate]);
    },
  );
}

/** Tables whose writes the pool-exhaustion fault can block. */
export const WRITE_TABLES = ['bookings', 'payments', 'routes'] as const;

/**
 * Pool exhaustion by slow queries: one session holds an EXCLUSIVE lock on `table` (reads go
 * on; every INSERT, UPDATE and DELETE waits), the way a long migration or a stuck batch job
 * does in production. Each request that writes the table holds its pool connection until its
 * statement timeout, so under load the writer's pool saturates and later callers must be told
 * to retry (503 + Retry-After) rather than queue. Reverting rolls the lock back; if this process
 * dies first, the ledger's undo terminates the session, and PostgreSQL itself ends it once it
 * has been idle in its transaction for `maxMs`.
 */
export async function poolExhaustion(context: FaultContext, options: { table: (typeof WRITE_TABLES)[number]; maxMs?: number }): Promise<ActiveFault> {
  const url = context.topology.endpoints.postgresPrimary;
  const tag = `rushhour-lock-${Math.random().toString(36).slice(2, 8)}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, application_name: tag });
  client.on('error', () => {});
  const maxMs = Math.round(options.maxMs ?? 600_000);
  return injectWith(
    context,
    `postgres-primary: writes to ${options.table} blocked (EXCLUSIVE lock held)`,
    [{ kind: 'sql', url, statements: [`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`] }],
    async () => {
      await client.connect();
      await client.query(`SET idle_in_transaction_session_timeout = ${maxMs}`);
      await client.query('BEGIN');
      // Waits for writers already in flight to finish, but not forever.
      await client.query(`SET LOCAL lock_timeout = '5s'`);
      await client.query(`LOCK TABLE ${options.table} IN EXCLUSIVE MODE`);
    },
    async () => {
      await client.query('ROLLBACK').catch(() => {});
      await client.end().catch(() => {});
      // The session is gone even when ROLLBACK could not be sent (a dead connection).
      await sql(url, [`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '${tag}'`]);
    },
  );
}
