// The shared integration suite: the same tests against both providers. Each provider boots
// its own small stack here (the global local stack is not used), so "teardown leaves nothing
// behind" is checked on a stack this file owns.
import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { injectFault } from '../chaos/faults/index.ts';
import { checkHealth, dockerAnswers, faultsInForce, isAlive, probeStack, resolveConfig, up, type Provider, type RunningStack } from '../harness/index.ts';
import { dockerClient, LABEL } from '../harness/containers/docker.ts';
import { api, eventually, sign } from './support/api.ts';
import { scratchDir } from './support/cli.ts';

const dockerHere = await dockerAnswers();
// CI sets RUSHHOUR_REQUIRE_DOCKER=1: there a missing engine fails the containers suite instead
// of skipping it. Elsewhere, no engine means the containers half is reported as skipped.
const requireDocker = process.env.RUSHHOUR_REQUIRE_DOCKER === '1';
const providers: { provider: Provider; run: boolean }[] = [
  { provider: 'local', run: true },
  { provider: 'containers', run: dockerHere || requireDocker },
];

const config = (provider: Provider) =>
  resolveConfig(
    {
      provider,
      stack: { matching: { replicas: 2 }, booking: { replicas: 1 }, bootTimeoutMs: 120_000 },
      fixtures: { seed: 11, routes: 400, drivers: 100, riders: 200 },
    },
    'test/providers.test.ts',
  );

describe.each(providers)('$provider provider', ({ provider, run }) => {
  let stack: RunningStack;
  const gateway = () => stack.topology.endpoints.gateway;
  const admin = (path: string) => api('GET', path, { base: stack.topology.endpoints.gatewayAdmin, headers: { authorization: `Bearer ${stack.topology.adminToken}` } });
  const upstreamHealthy = async (name: string) => (await admin('/admin/upstreams')).body.groups.matching.find((member: { name: string }) => member.name === name).healthy as boolean;
  const nearby = () => {
    const hub = stack.topology.dataset.cities[0]!.hubs[0]!;
    return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=2000&limit=1`, { base: gateway() });
  };

  beforeAll(async () => {
    if (!run) return;
    if (provider === 'containers' && !dockerHere) throw new Error('RUSHHOUR_REQUIRE_DOCKER=1, but no Docker engine answers');
    stack = await up(config(provider), provider);
  }, 600_000);

  afterAll(async () => {
    if (stack) await stack.stop();
  }, 120_000);

  test.runIf(run)('boots every component of the topology, each healthy', async () => {
    const { topology } = stack;
    expect(topology.provider).toBe(provider);
    expect(topology.components.map((c) => c.name).sort()).toEqual(
      ['booking-1', 'fault-proxy', 'gateway', 'matching-1', 'matching-2', 'postgres-primary', 'postgres-replica', 'prometheus', 'redis'].sort(),
    );
    const health = await checkHealth(topology.components);
    expect(health.filter((c) => !c.healthy).map((c) => c.name)).toEqual([]);
    expect(stack.controls.names.slice().sort()).toEqual(topology.components.map((c) => c.name).sort());
  });

  test.runIf(run)('the API answers through the gateway as the contract says (the probe journey)', async () => {
    const steps = await probeStack({ ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() });
    expect(steps.length).toBeGreaterThanOrEqual(10);
    expect(steps.filter((step) => !step.ok).map((step) => `${step.name}: ${step.note}`)).toEqual([]);
    // And a paid booking, signed with this stack's secret.
    const held = await api('POST', '/v1/bookings', { base: gateway(), body: { routeId: 3, riderId: 3, seats: 1 }, headers: { 'idempotency-key': randomUUID() } });
    expect(held.status).toBe(201);
    const raw = JSON.stringify({ eventId: `evt-${randomUUID()}`, bookingId: held.body.id, status: 'succeeded', amountMinor: 100 });
    const paid = await api('POST', '/v1/payments/webhook', { base: gateway(), raw, headers: { 'x-signature': sign(raw, stack.topology.webhookSecret) } });
    expect(paid.status).toBe(200);
    expect((await api('GET', `/v1/bookings/${held.body.id}`, { base: gateway() })).body.status).toBe('CONFIRMED');
  });

  test.runIf(run)('the services reach postgres and redis through the fault proxy', async () => {
    const proxies = (await api('GET', '/proxies', { base: stack.topology.endpoints.faultProxy })).body;
    expect(Object.keys(proxies).sort()).toEqual(['booking.postgres-primary', 'booking.redis', 'matching.postgres-primary', 'matching.postgres-replica', 'matching.redis']);
    // Disabling booking's link to the primary cuts it off: a booking can no longer be made.
    await api('POST', '/proxies/booking.postgres-primary', { base: stack.topology.endpoints.faultProxy, body: { enabled: false } });
    try {
      const held = await api('POST', '/v1/bookings', { base: gateway(), body: { routeId: 1, riderId: 1, seats: 1 }, headers: { 'idempotency-key': randomUUID() } });
      expect(held.status).toBeGreaterThanOrEqual(500);
    } finally {
      await api('POST', '/proxies/booking.postgres-primary', { base: stack.topology.endpoints.faultProxy, body: { enabled: true } });
    }
    await eventually(async () => (await nearby()).status === 200, 15_000, 'the API to answer again');
  });

  test.runIf(run)('chaos faults act the same: a partition makes booking refuse and heals; replica replay pauses and resumes', async () => {
    const context = { topology: stack.topology, controls: stack.controls, cwd: scratchDir() };
    const book = () => api('POST', '/v1/bookings', { base: gateway(), body: { routeId: 5, riderId: 5, seats: 1 }, headers: { 'idempotency-key': randomUUID() } });
    const partition = await injectFault(context, { type: 'partition', service: 'booking', dependency: 'postgres-primary' });
    try {
      // Refused with 503 once the query timeout (6 s) or the pool's wait (1 s) gives up: not hung.
      const started = performance.now();
      expect((await book()).status).toBe(503);
      expect(performance.now() - started).toBeLessThan(8_000);
      expect((await nearby()).status).toBe(200);
    } finally {
      expect(await partition.revert()).toEqual([]);
    }
    await eventually(async () => (await book()).status === 201, 15_000, 'bookings to work again after the partition heals');
    const lag = await injectFault(context, { type: 'replica-lag', mode: 'pause-replay' });
    const paused = async () => {
      const client = new pg.Client({ connectionString: stack.topology.endpoints.postgresReplica });
      await client.connect();
      try {
        return (await client.query<{ paused: boolean }>('SELECT pg_is_wal_replay_paused() AS paused')).rows[0]!.paused;
      } finally {
        await client.end();
      }
    };
    try {
      expect(await paused()).toBe(true);
    } finally {
      expect(await lag.revert()).toEqual([]);
    }
    expect(await paused()).toBe(false);
    expect(faultsInForce(context.cwd)).toEqual([]);
  }, 60_000);

  test.runIf(run)('an extra instance (a canary candidate) starts ready, is scraped, serves through the gateway with its version, and stops', async () => {
    const candidate = await stack.instances.start({ group: 'matching', name: 'matching-canary-1', version: '2.0.0', env: { VARIANT: 'v2' } });
    const adminCall = (method: string, path: string, body?: unknown) => api(method, path, { base: stack.topology.endpoints.gatewayAdmin, body, headers: { authorization: `Bearer ${stack.topology.adminToken}` } });
    const prometheus = async (query: string) => ((await (await fetch(`${stack.topology.endpoints.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as { data: { result: unknown[] } }).data.result;
    const scraped = async () => ((await (await fetch(`${stack.topology.endpoints.prometheus}/api/v1/targets?state=active`)).json()) as { data: { activeTargets: { labels: Record<string, string>; health: string }[] } }).data.activeTargets.filter((t) => t.labels.instance_name === 'matching-canary-1');
    try {
      expect(stack.controls.names).toContain('matching-canary-1');
      expect(await stack.controls.state('matching-canary-1')).toBe('running');
      expect((await adminCall('PUT', '/admin/upstreams/matching/members/matching-canary-1', { url: candidate.upstreamUrl, version: candidate.version })).status).toBe(200);
      await adminCall('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 0, 'matching-2': 0, 'matching-canary-1': 100 } });
      for (let i = 0; i < 5; i++) {
        const answer = await nearby();
        expect(answer.status).toBe(200);
        expect([answer.headers.get('x-upstream'), answer.headers.get('x-upstream-version')]).toEqual(['matching-canary-1', '2.0.0']);
      }
      await eventually(async () => (await scraped()).some((t) => t.health === 'up'), 20_000, 'Prometheus scraping the candidate');
      await eventually(async () => (await prometheus('http_requests_total{service="matching",version="2.0.0"}')).length > 0, 20_000, "the candidate's requests in Prometheus under its version");
    } finally {
      await adminCall('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 100, 'matching-2': 100, 'matching-canary-1': 0 } });
      await adminCall('DELETE', '/admin/upstreams/matching/members/matching-canary-1');
      await candidate.stop();
      await candidate.stop();
    }
    expect(stack.controls.names).not.toContain('matching-canary-1');
    await eventually(async () => (await scraped()).length === 0, 20_000, 'the candidate gone from the scrape targets');
    expect((await nearby()).status).toBe(200);
  }, 120_000);

  test.runIf(run)('pause hangs a service and resume brings it back; the gateway routes around it meanwhile', async () => {
    await stack.controls.pause('matching-2');
    try {
      expect(await stack.controls.state('matching-2')).toBe('paused');
      await eventually(async () => !(await upstreamHealthy('matching-2')), 15_000, 'matching-2 marked unhealthy');
      for (let i = 0; i < 10; i++) {
        const answer = await nearby();
        expect(answer.status).toBe(200);
        expect(answer.headers.get('x-upstream')).toBe('matching-1');
      }
    } finally {
      await stack.controls.resume('matching-2');
    }
    expect(await stack.controls.state('matching-2')).toBe('running');
    await eventually(async () => upstreamHealthy('matching-2'), 15_000, 'matching-2 healthy again');
  });

  test.runIf(run)('kill crashes a component and restart brings it back ready, with its data', async () => {
    const countBookings = async () => {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: stack.topology.endpoints.postgresPrimary });
      await client.connect();
      try {
        return Number((await client.query('SELECT count(*) AS n FROM bookings')).rows[0].n);
      } finally {
        await client.end();
      }
    };
    const before = await countBookings();
    expect(before).toBeGreaterThan(0);
    await stack.controls.kill('postgres-primary');
    expect(await stack.controls.state('postgres-primary')).toBe('stopped');
    await stack.controls.restart('postgres-primary');
    expect(await stack.controls.state('postgres-primary')).toBe('running');
    expect(await countBookings()).toBe(before);

    await stack.controls.stop('booking-1');
    expect(await stack.controls.state('booking-1')).toBe('stopped');
    await stack.controls.restart('booking-1');
    // The services' pools reconnect through the proxy to the restarted primary.
    await eventually(async () => {
      const held = await api('POST', '/v1/bookings', { base: gateway(), body: { routeId: 2, riderId: 2, seats: 1 }, headers: { 'idempotency-key': randomUUID() } });
      return held.status === 201 || held.status === 409;
    }, 20_000, 'bookings to succeed after the restarts');
  });

  test.runIf(run)('an unknown component is a clear usage error', async () => {
    await expect(stack.controls.kill('no-such-thing')).rejects.toThrow(/no component named "no-such-thing"/);
  });

  test.runIf(run)('teardown leaves no process, container, network or run dir behind', async () => {
    const { topology } = stack;
    // Leave one component paused: teardown must cope with a hung component too.
    await stack.controls.pause('redis');
    const failures = await stack.stop();
    expect(failures).toEqual([]);
    expect(await stack.stop()).toEqual([]);
    expect(existsSync(topology.runDir)).toBe(false);
    for (const component of topology.components) if (component.pid !== null) expect(isAlive(component.pid), component.name).toBe(false);
    if (provider === 'containers') {
      const docker = await dockerClient();
      const filter = { label: [`${LABEL.runId}=${topology.runId}`] };
      expect(await docker.listContainers({ all: true, filters: filter })).toEqual([]);
      expect(await docker.listNetworks({ filters: filter })).toEqual([]);
    }
  }, 60_000);
});
