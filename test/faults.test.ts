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
import { injectFault, type ActiveFault, type FaultContext } from '../chaos/faults/index.ts';
import { linkLatency } from '../chaos/faults/link.ts';
import { faultsInForce, resolveConfig, revertLeftoverFaults, up, type RunningStack } from '../harness/index.ts';
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
  test('link-down: the redis link refuses connections, then carries them again', async () => {
    const listen = (await proxy('redis')).listen;
    expect(await redisPing(listen)).toBe(true);
    await cycle(injectFault(context, { type: 'link-down', link: 'redis' }), async () => {
      expect((await proxy('redis')).enabled).toBe(false);
      expect(await redisPing(listen)).toBe(false);
    });
    expect((await proxy('redis')).enabled).toBe(true);
    expect(await redisPing(listen)).toBe(true);
  });

  test('link-latency: queries through the primary link take the added 200 ms, then do not', async () => {
    const listen = (await proxy('postgres-primary')).listen;
    const viaProxy = primary().replace(new URL(primary()).host, listen);
    const timed = async () => {
      const started = performance.now();
      await query(viaProxy, 'SELECT 1');
      return performance.now() - started;
    };
    await cycle(injectFault(context, { type: 'link-latency', link: 'postgres-primary', latencyMs: 200 }), async (fault) => {
      expect(fault.label).toBe('postgres-primary: +200 ms');
      expect((await proxy('postgres-primary')).toxics.map((t) => t.name)).toHaveLength(1);
      // Connecting and one query: several answers, each 200 ms late.
      expect(await timed()).toBeGreaterThan(400);
    });
    expect((await proxy('postgres-primary')).toxics).toEqual([]);
    expect(await timed()).toBeLessThan(400);
  });

  test('link-timeout 0: the redis link swallows everything until reverted', async () => {
    const listen = (await proxy('redis')).listen;
    await cycle(injectFault(context, { type: 'link-timeout', link: 'redis', timeoutMs: 0 }), async () => {
      expect(await redisPing(listen, 400)).toBe(false);
    });
    expect(await redisPing(listen)).toBe(true);
  });

  test('a fault that fails half-way is reverted and leaves nothing in the ledger', async () => {
    await expect(linkLatency(context, 'no-such-link', 100)).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_FAULT_FAILED' });
    expect(faultsInForce(cwd)).toEqual([]);
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

  test('slow-query-storm: three sessions sleep on the primary, and are gone after the revert', async () => {
    const sleeping = async () => Number((await query<{ n: string }>(primary(), `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name LIKE 'rushhour-storm-%' AND query LIKE '%pg_sleep%' AND state = 'active'`))[0]!.n);
    await cycle(injectFault(context, { type: 'slow-query-storm', connections: 3, queryMs: 5_000 }), async () => {
      expect(await eventually(async () => (await sleeping()) === 3, 5_000)).toBe(true);
    });
    expect(await eventually(async () => (await sleeping()) === 0, 5_000)).toBe(true);
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
  expect((await proxy('redis')).enabled).toBe(false);

  const result = await revertLeftoverFaults({ stackId: stack.topology.runId, cwd });
  expect(result.problems).toEqual([]);
  expect(result.reverted.sort()).toEqual(['postgres-replica: replay paused', 'redis: link down']);
  expect(faultsInForce(cwd)).toEqual([]);
  expect((await proxy('redis')).enabled).toBe(true);
  expect((await query<{ paused: boolean }>(replica(), 'SELECT pg_is_wal_replay_paused() AS paused'))[0]!.paused).toBe(false);
}, 60_000);
