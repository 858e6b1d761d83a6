import net from 'node:net';
import pg from 'pg';
import { postgresUrlFor } from './stack-plan.ts';

// Readiness probes shared by both providers and by `status` (each answers true or false and
// never throws, so a boot loop can poll it), and the first step on a fresh primary.

export { isHttpOk } from './http.ts';

/** True when `sql` (one row with a boolean `ok`) answers true on 127.0.0.1:port. */
export async function canQuery(port: number, database: string, sql: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrlFor('127.0.0.1', port, database), connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    const result = await client.query(sql);
    return result.rows[0]?.ok === true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Creates the SUT's database on a fresh server (both providers, right after the primary answers). */
export async function createDatabase(port: number, name = 'rushhour'): Promise<void> {
  const admin = new pg.Client({ connectionString: postgresUrlFor('127.0.0.1', port, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
}

/**
 * PING over a raw socket: true on +PONG within 500 ms. A close without an answer is a "no":
 * Docker's port proxy accepts a connection and closes it at once while the container's port
 * is not listening yet, with no error and no data.
 */
export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

/** One probe attempt, bounded: a probe that never settles counts as "not ready" after `ms`. */
export function probeOnce(probe: () => Promise<boolean>, ms = 3_000): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([probe().catch(() => false), timeout]).finally(() => clearTimeout(timer));
}
