import pg from 'pg';
import { HttpError, shed } from './errors.ts';
import type { Logger } from './log.ts';
import type { DbMetrics } from './metrics.ts';

export type DbTarget = 'primary' | 'replica';

export interface PoolSettings {
  max: number;
  connectionTimeoutMs: number;
  statementTimeoutMs: number;
  /** Client-side: how long to wait for any answer (0: forever). */
  queryTimeoutMs: number;
  maxWaiting: number;
}

/**
 * A connection that failed below SQL (no SQLSTATE: reset, closed, or a query that never got an
 * answer) cannot be trusted with the next request: its reply may still arrive, out of turn.
 */
const connectionBroken = (error: unknown) => !(error instanceof HttpError) && !/^[0-9A-Z]{5}$/.test(String((error as { code?: unknown })?.code ?? ''));

/**
 * One pg.Pool per database target, with explicit size, connect timeout and statement_timeout.
 * When too many requests already wait for a connection, new ones are shed at once with 503
 * instead of joining an unbounded queue (pg.Pool's default waits forever).
 */
export class Database {
  readonly target: DbTarget;
  readonly pool: pg.Pool;
  #settings: PoolSettings;
  #metrics: DbMetrics;

  constructor(target: DbTarget, connectionString: string, settings: PoolSettings, metrics: DbMetrics, log: Logger, applicationName: string) {
    this.target = target;
    this.#settings = settings;
    this.#metrics = metrics;
    this.pool = new pg.Pool({
      connectionString,
      max: settings.max,
      connectionTimeoutMillis: settings.connectionTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      // statement_timeout is the server's and cannot fire for a query the server never got (a
      // partition that drops packets): without this the request, and its connection, wait forever.
      ...(settings.queryTimeoutMs > 0 ? { query_timeout: settings.queryTimeoutMs } : {}),
      idleTimeoutMillis: 30_000,
      application_name: applicationName,
    });
    // An idle client losing its connection emits here; without a listener it would crash the process.
    this.pool.on('error', (error) => log.warn('idle database client failed', { target, error: error.message }));
  }

  /** Current pool gauges, read at scrape time. */
  observePool(): void {
    this.#metrics.pool.set({ target: this.target, state: 'max' }, this.#settings.max);
    this.#metrics.pool.set({ target: this.target, state: 'total' }, this.pool.totalCount);
    this.#metrics.pool.set({ target: this.target, state: 'idle' }, this.pool.idleCount);
    this.#metrics.pool.set({ target: this.target, state: 'waiting' }, this.pool.waitingCount);
  }

  #admit(): void {
    if (this.pool.waitingCount >= this.#settings.maxWaiting) {
      this.#metrics.poolShed.inc({ target: this.target });
      throw shed('POOL_SATURATED', `the ${this.target} database pool is saturated`);
    }
  }

  async query<R extends pg.QueryResultRow>(op: string, sql: string, params: unknown[] = []): Promise<R[]> {
    this.#admit();
    const end = this.#metrics.queryDuration.startTimer({ target: this.target, op });
    try {
      return (await this.pool.query<R>(sql, params)).rows;
    } finally {
      end();
    }
  }

  /** Runs `fn` in a transaction on one connection; rolls back on any error. */
  async transaction<T>(op: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    this.#admit();
    const end = this.#metrics.queryDuration.startTimer({ target: this.target, op });
    let client: pg.PoolClient | undefined;
    try {
      client = await this.pool.connect();
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      if (client && connectionBroken(error)) {
        // No ROLLBACK on a dead line (it would wait as long again): dropping the connection ends
        // the transaction on the server.
        client.release(error as Error);
        client = undefined;
      } else if (client) {
        await client.query('ROLLBACK').catch(() => {});
      }
      throw error;
    } finally {
      client?.release();
      end();
    }
  }

  async ping(): Promise<boolean> {
    try {
      await this.pool.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }
}
