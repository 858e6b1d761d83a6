// Every fault of chaos/faults against a real local stack this file boots (its controls are
// in-process): each is injected, its effect observed on the real server, reverted, and the
// server seen back to normal; the fault ledger holds each fault exactly while it is in force;
// a revert is idempotent; a fault that fails half-way puts back what it did; and the faults of
// a run killed with SIGKILL are reverted from the ledger by the next process.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { faultSchema, injectFault, type ActiveFault, type FaultContext } from '../chaos/faults/index.ts';
import { linkLatency } from '../chaos/faults/link.ts';
import { longestIn, watchStatements } from '../chaos/statement-probe.ts';
import { recordFault } from '../harness/fault-ledger.ts';
import { provisionReportingRole } from '../harness/reporting-role.ts';
import { faultsInForce, resolveConfig, revertLeftoverFaults, settleLeftoverFaults, up, type RunningStack } from '../harness/index.ts';
import { scratchDir } from './support/cli.ts';

let stack: RunningStack;
let cwd: string;
let context: FaultContext;

beforeAll(async () => {
  stack = await up(resolveConfig({ provider: 'local', fixtures: { seed: 21, routes: 200, drivers: 50, riders: 100 } }, 'test/faults.test.ts'), 'local');
  cwd = scratchDir();
  context = { topology: stack.topology, controls: stack.controls, cwd };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const proxyApi = () => stack.topology.endpoints.faultProxy;
async function proxy(link: string): Promise<{ enabled: boolean; listen: string; toxics: { name: string }[] }> {
  return (await fetch(`${proxyApi()}/proxies/${link}`)).json() as Promise<{ enabled: boolean; listen: string; toxics: { name: string }[] }>;
}

/** PING to a Redis at host:port; true when +PONG came back within `timeoutMs`. */
function redisPing(address: string, timeoutMs = 500): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => done(String(chunk).startsWith('+PONG')));
    socket.on('error', () => done(false));
  });
}
const redisDirect = () => new URL(stack.topology.endpoints.redis).host;

async function query<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
const primary = () => stack.topology.endpoints.postgresPrimary;
const replica = () => stack.topology.endpoints.postgresReplica;

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** Injects, checks the ledger holds it, runs `during`, reverts twice, checks the ledger is empty. */
async function cycle(fault: Promise<ActiveFault>, during: (f: ActiveFault) => Promise<void>): Promise<void> {
  const active = await fault;
  expect(faultsInForce(cwd).map((e) => e.label)).toEqual([active.label]);
  try {
    await during(active);
  } finally {
    expect(await active.revert()).toEqual([]);
  }
  expect(await active.revert()).toEqual([]);
  expect(faultsInForce(cwd)).toEqual([]);
}

describe('component faults (through the stack controls)', () => {
  test('crash: redis is killed, then restarted and answering', async () => {
    await cycle(injectFault(context, { type: 'crash', component: 'redis' }), async () => {
      expect(await stack.controls.state('redis')).toBe('stopped');
      expect(await redisPing(redisDirect())).toBe(false);
    });
    expect(await stack.controls.state('redis')).toBe('running');
    expect(await redisPing(redisDirect())).toBe(true);
  });

  test('hang: redis accepts nothing while paused, answers again once resumed', async () => {
    await cycle(injectFault(context, { type: 'hang', component: 'redis' }), async () => {
      expect(await stack.controls.state('redis')).toBe('paused');
      expect(await redisPing(redisDirect(), 300)).toBe(false);
    });
    expect(await redisPing(redisDirect())).toBe(true);
  });
});

describe('link faults (through the fault proxy)', () => {
  test('link-down on a dependency: every service\'s redis link refuses connections, then carries them again', async () => {
    const links = ['matching.redis', 'booking.redis'];
    const listens = await Promise.all(links.map(async (link) => (await proxy(link)).listen));
    for (const listen of listens) expect(await redisPing(listen)).toBe(true);
    await cycle(injectFault(context, { type: 'link-down', link: 'redis' }), async () => {
      for (const link of links) expect((await proxy(link)).enabled).toBe(false);
      for (const listen of listens) expect(await redisPing(listen)).toBe(false);
    });
    for (const link of links) expect((await proxy(link)).enabled).toBe(true);
    for (const listen of listens) expect(await redisPing(listen)).toBe(true);
  });

  test('partition: one service\'s link to one dependency drops everything, every other link keeps working', async () => {
    const cut = (await proxy('booking.postgres-primary')).listen;
    const kept = (await proxy('matching.postgres-primary')).listen;
    const via = (listen: string) => primary().replace(new URL(primary()).host, listen);
    const answers = async (listen: string) => {
      const client = new pg.Client({ connectionString: via(listen), connectionTimeoutMillis: 500 });
      client.on('error', () => {});
      try {
        await client.connect();
        return (await client.query('SELECT 1 AS one')).rows[0]?.one === 1;
      } catch {
        return false;
      } finally {
        await client.end().catch(() => {});
      }
    };
    await cycle(injectFault(context, { type: 'partition', service: 'booking', dependency: 'postgres-primary' }), async (fault) => {
      expect(fault.label).toBe('booking.postgres-primary: partitioned (packets dropped both ways)');
      // Not refused: accepted and then silent, as a dropped-packet partition is.
      expect((await proxy('booking.postgres-primary')).enabled).toBe(true);
      expect(await answers(cut)).toBe(false);
      expect(await answers(kept)).toBe(true);
    });
    expect(await answers(cut)).toBe(true);
  });

  test('link-bandwidth: both directions are limited, then not', async () => {
    await cycle(injectFault(context, { type: 'link-bandwidth', link: 'matching.redis', rateKBps: 100 }), async (fault) => {
      expect(fault.label).toBe('matching.redis: 100 KB/s');
      const toxics = (await proxy('matching.redis')).toxics as unknown as { type: string; stream: string; attributes: { rate: number } }[];
      expect(toxics.map((t) => [t.type, t.stream, t.attributes.rate]).sort()).toEqual([
        ['bandwidth', 'downstream', 100],
        ['bandwidth', 'upstream', 100],
      ]);
    });
    expect((await proxy('matching.redis')).toxics).toEqual([]);
  });

  test('a partition between a service and a dependency it never reaches is refused by validation', () => {
    expect(faultSchema.safeParse({ type: 'partition', service: 'booking', dependency: 'postgres-replica' }).success).toBe(false);
    expect(faultSchema.safeParse({ type: 'partition', service: 'matching', dependency: 'postgres-replica' }).success).toBe(true);
  });

  test('link-latency: queries through the primary links take the added 200 ms, then do not', async () => {
    const listen = (await proxy('booking.postgres-primary')).listen;
    const viaProxy = primary().replace(new URL(primary()).host, listen);
    const timed = async () => {
      const started = performance.now();
      await query(viaProxy, 'SELECT 1');
      return performance.now() - started;
    };
    await cycle(injectFault(context, { type: 'link-latency', link: 'postgres-primary', latencyMs: 200 }), async (fault) => {
      expect(fault.label).toBe('postgres-primary: +200 ms');
      // A dependency names every service's link to it.
      for (const link of ['booking.postgres-primary', 'matching.postgres-primary']) expect((await proxy(link)).toxics.map((t) => t.name)).toHaveLength(1);
      expect((await proxy('matching.postgres-replica')).toxics).toEqual([]);
      // Connecting and one query: several answers, each 200 ms late.
      expect(await timed()).toBeGreaterThan(400);
    });
    expect((await proxy('booking.postgres-primary')).toxics).toEqual([]);
    expect(await timed()).toBeLessThan(400);
  });

  test('link-timeout 0: the redis link swallows everything until reverted', async () => {
    const listen = (await proxy('matching.redis')).listen;
    await cycle(injectFault(context, { type: 'link-timeout', link: 'matching.redis', timeoutMs: 0 }), async () => {
      expect(await redisPing(listen, 400)).toBe(false);
    });
    expect(await redisPing(listen)).toBe(true);
  });

  test('a link nobody has is refused before anything is injected', async () => {
    await expect(linkLatency(context, 'no-such-link', 100)).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_FAULT_FAILED' });
    expect(faultsInForce(cwd)).toEqual([]);
  });

  test('a fault that fails half-way is reverted and leaves nothing in the ledger', async () => {
    // booking.redis is gone from the proxy: link-down on redis cuts matching.redis, then fails.
    const saved = (await (await fetch(`${proxyApi()}/proxies/booking.redis`)).json()) as { name: string; listen: string; upstream: string };
    expect((await fetch(`${proxyApi()}/proxies/booking.redis`, { method: 'DELETE' })).status).toBe(204);
    try {
      await expect(injectFault(context, { type: 'link-down', link: 'redis' })).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_FAULT_FAILED' });
      expect((await proxy('matching.redis')).enabled).toBe(true);
      expect(faultsInForce(cwd)).toEqual([]);
    } finally {
      const created = await fetch(`${proxyApi()}/proxies`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: saved.name, listen: saved.listen, upstream: saved.upstream, enabled: true }) });
      expect(created.status).toBe(201);
    }
  });
});

describe('database faults (by SQL on the servers)', () => {
  test('replica-lag pause-replay: a committed row stays invisible on the replica until the revert', async () => {
    await query(primary(), 'CREATE TABLE IF NOT EXISTS rushhour_fault_probe (id serial PRIMARY KEY, note text)');
    // The table itself must have reached the replica before its replay stops.
    expect(await eventually(async () => (await query(replica(), `SELECT to_regclass('rushhour_fault_probe') IS NOT NULL AS ok`))[0]!.ok === true)).toBe(true);
    let id = 0;
    await cycle(injectFault(context, { type: 'replica-lag', mode: 'pause-replay' }), async () => {
      expect((await query<{ paused: boolean }>(replica(), 'SELECT pg_is_wal_replay_paused() AS paused'))[0]!.paused).toBe(true);
      id = (await query<{ id: number }>(primary(), `INSERT INTO rushhour_fault_probe (note) VALUES ('during lag') RETURNING id`))[0]!.id;
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(await query(replica(), 'SELECT 1 FROM rushhour_fault_probe WHERE id = $1', [id])).toEqual([]);
    });
    expect(await eventually(async () => (await query(replica(), 'SELECT 1 FROM rushhour_fault_probe WHERE id = $1', [id])).length === 1)).toBe(true);
  });

  test('replica-lag apply-delay: the replica applies commits late, then on time', async () => {
    await cycle(injectFault(context, { type: 'replica-lag', mode: 'apply-delay', delayMs: 1_500 }), async () => {
      expect(await eventually(async () => (await query<{ recovery_min_apply_delay: string }>(replica(), 'SHOW recovery_min_apply_delay'))[0]!.recovery_min_apply_delay === '1500ms', 5_000)).toBe(true);
    });
    expect(await eventually(async () => (await query<{ recovery_min_apply_delay: string }>(replica(), 'SHOW recovery_min_apply_delay'))[0]!.recovery_min_apply_delay === '0', 5_000)).toBe(true);
  });

  test('pool-exhaustion: writes to bookings wait behind the lock while reads go on, and go through after the revert', async () => {
    await cycle(injectFault(context, { type: 'pool-exhaustion', table: 'bookings' }), async (fault) => {
      expect(fault.label).toBe('postgres-primary: writes to bookings blocked (EXCLUSIVE lock held)');
      expect(await query(primary(), 'SELECT count(*) >= 0 AS ok FROM bookings')).toEqual([{ ok: true }]);
      const started = performance.now();
      await expect(query(primary(), `SET statement_timeout = 500; DELETE FROM bookings WHERE id IS NULL`)).rejects.toThrow(/statement timeout/);
      expect(performance.now() - started).toBeGreaterThan(450);
    });
    expect(Number((await query<{ n: string }>(primary(), `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'rushhour-lock-%'`))[0]!.n)).toBe(0);
    await query(primary(), 'SET statement_timeout = 2000; DELETE FROM bookings WHERE id IS NULL');
  });

  // The reports' sessions on the primary: how many run a scan, and the oldest scan's age.
  const scans = async () => {
    const [row] = await query<{ n: string; oldest: number | null }>(primary(), `SELECT count(*) AS n, max(extract(epoch FROM now() - query_start) * 1000)::float8 AS oldest FROM pg_stat_activity WHERE application_name LIKE 'rushhour-storm-%' AND usename = 'reporting' AND query LIKE '%CROSS JOIN%' AND state = 'active'`);
    return { n: Number(row!.n), oldestMs: row!.oldest ?? 0 };
  };

  test('slow-query-storm scan: runaway reports arrive as the reporting role, and its statement timeout (the database\'s) ends each one', async () => {
    await cycle(injectFault(context, { type: 'slow-query-storm', work: 'scan', reportsPerSecond: 4 }), async (fault) => {
      expect(fault.label).toBe('postgres-primary: runaway reports at 4/s as role reporting (at most 40 sessions)');
      expect(await eventually(async () => (await scans()).n >= 4, 5_000)).toBe(true);
      // Over 4 s: no scan outlives the role's 2 s timeout by much, so about 4/s × 2 s run at once.
      for (let i = 0; i < 8; i++) {
        const { n, oldestMs } = await scans();
        expect(oldestMs).toBeLessThan(3_000);
        expect(n).toBeLessThanOrEqual(12);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    });
    expect(await eventually(async () => (await scans()).n === 0, 5_000)).toBe(true);
  });

  test('without the role\'s statement timeout (the weakened setting) the same reports pile up to the session cap, and the revert still ends them all', async () => {
    await provisionReportingRole(primary(), 0);
    try {
      await cycle(injectFault(context, { type: 'slow-query-storm', work: 'scan', reportsPerSecond: 4, maxSessions: 8 }), async () => {
        expect(await eventually(async () => (await scans()).n === 8, 6_000)).toBe(true);
        expect(await eventually(async () => (await scans()).oldestMs > 2_500, 3_000)).toBe(true);
      });
      expect(await eventually(async () => (await scans()).n === 0, 5_000)).toBe(true);
    } finally {
      await provisionReportingRole(primary(), 2_000);
    }
  });

  test('a storm asks for what its kind needs: rejected, naming the field', () => {
    const problems = (spec: unknown) => faultSchema.safeParse(spec).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(problems({ type: 'slow-query-storm', work: 'scan', connections: 3 })).toEqual(['reportsPerSecond: required when work is scan', 'connections: not used when work is scan']);
    expect(problems({ type: 'slow-query-storm', connections: 3 })).toEqual(['queryMs: required when work is sleep']);
    expect(problems({ type: 'slow-query-storm', work: 'scan', reportsPerSecond: 1.5 })).toBeUndefined();
  });

  test('slow-query-storm: three sessions sleep on the primary, and are gone after the revert', async () => {
    const sleeping = async () => Number((await query<{ n: string }>(primary(), `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'rushhour-storm-%' AND query LIKE '%pg_sleep%' AND state = 'active'`))[0]!.n);
    await cycle(injectFault(context, { type: 'slow-query-storm', connections: 3, queryMs: 5_000 }), async () => {
      expect(await eventually(async () => (await sleeping()) === 3, 5_000)).toBe(true);
    });
    expect(await eventually(async () => (await sleeping()) === 0, 5_000)).toBe(true);
  });

  test('the statement probe an experiment judges the database by: each second the oldest running statement, an unsampled second a gap', async () => {
    const probe = await watchStatements(primary());
    const sleeper = new pg.Client({ connectionString: primary(), application_name: 'rushhour-test-sleeper' });
    await sleeper.connect();
    try {
      const slept = sleeper.query('SELECT pg_sleep(2.5)');
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      await pause(1_200);
      probe.sample(1);
      await pause(1_000);
      probe.sample(2);
      await slept;
      await pause(300);
      probe.sample(4);
      const samples = await probe.stop();
      probe.sample(5); // after stop: ignored
      expect(await probe.stop()).toBe(samples);
      expect(samples.map((s) => s.t)).toEqual([1, 2, 4]);
      expect(samples[0]!.longestMs).toBeGreaterThanOrEqual(1_100);
      expect(samples[1]!.longestMs).toBeGreaterThanOrEqual(2_100);
      expect(samples[1]!.active).toBeGreaterThanOrEqual(1);
      // The sleep is over: what runs now are the services' own millisecond queries, if any.
      expect(samples[2]!.longestMs).toBeLessThan(1_000);
      expect(longestIn(samples, 1, 3)).toBe(samples[1]!.longestMs);
      expect(longestIn(samples, 3, 4)).toBeNull();
    } finally {
      await sleeper.end();
    }
  });
});

test('a run killed with SIGKILL while its faults are in force: the next process reverts them from the ledger', async () => {
  // A child process injects two faults with this file's stack as its context, says so, and
  // then waits to be killed: nothing of its own revert can run.
  const script = path.join(cwd, 'inject-and-wait.mts');
  writeFileSync(
    script,
    `import { injectFault } from ${JSON.stringify(path.resolve('chaos/faults/index.ts'))};
const topology = JSON.parse(process.env.TOPOLOGY!);
const context = { topology, controls: {} as never, cwd: ${JSON.stringify(cwd)} };
await injectFault(context, { type: 'link-down', link: 'redis' });
await injectFault(context, { type: 'replica-lag', mode: 'pause-replay' });
process.stdout.write('injected\\n');
setInterval(() => {}, 1_000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: path.resolve('.'), env: { ...process.env, TOPOLOGY: JSON.stringify(stack.topology) }, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => String(chunk).includes('injected') && resolve());
    child.on('exit', (code) => reject(new Error(`the injecting child exited early (${code})`)));
  });
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  expect(faultsInForce(cwd).map((e) => e.label).sort()).toEqual(['postgres-replica: replay paused', 'redis: link down']);
  expect((await proxy('matching.redis')).enabled).toBe(false);

  const result = await revertLeftoverFaults({ stackId: stack.topology.runId, cwd });
  expect(result.problems).toEqual([]);
  expect(result.reverted.sort()).toEqual(['postgres-replica: replay paused', 'redis: link down']);
  expect(faultsInForce(cwd)).toEqual([]);
  expect((await proxy('booking.redis')).enabled).toBe(true);
  expect((await query<{ paused: boolean }>(replica(), 'SELECT pg_is_wal_replay_paused() AS paused'))[0]!.paused).toBe(false);
}, 60_000);

test('up and down settle the ledger: a dead run\'s fault on the live stack is reverted, one on a stack that is gone is forgotten', async () => {
  const child = spawn(process.execPath, ['-e', '0']);
  const deadPid = await new Promise<number>((resolve) => child.once('exit', () => resolve(child.pid!)));
  const api = stack.topology.endpoints.faultProxy;
  await fetch(`${api}/proxies/booking.redis`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: false }) });
  recordFault({ id: 'on-live-stack', label: 'booking.redis: link down', pid: deadPid, stack: stack.topology.runId, injectedAt: new Date().toISOString(), undo: [{ kind: 'proxy-link', api, link: 'booking.redis', toxics: [], enable: true }] }, cwd);
  recordFault({ id: 'on-gone-stack', label: 'redis: crash', pid: deadPid, stack: 'rushhour-gone', injectedAt: new Date().toISOString(), undo: [{ kind: 'restart-component', component: 'redis' }] }, cwd);
  const settled = await settleLeftoverFaults(stack.topology.runId, cwd);
  expect(settled).toEqual({ reverted: ['booking.redis: link down'], problems: [], forgotten: ['redis: crash'] });
  expect((await proxy('booking.redis')).enabled).toBe(true);
  expect(faultsInForce(cwd)).toEqual([]);
});
