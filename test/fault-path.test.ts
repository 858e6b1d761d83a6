import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { afterEach, expect, test } from 'vitest';
import { api, metricSum, stack } from './support/api.ts';

const client = () => new Toxiproxy(stack().endpoints.faultProxy);
const nearby = () => {
  const hub = stack().dataset.cities[0]!.hubs[2]!;
  return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=1500&limit=3`);
};

afterEach(async () => {
  await client().reset();
});

test('the stack populates one proxy per service and dependency, each pointing at the real server', async () => {
  const proxies = await client().getAll();
  expect(Object.keys(proxies).sort()).toEqual(['booking.postgres-primary', 'booking.redis', 'matching.postgres-primary', 'matching.postgres-replica', 'matching.redis']);
  for (const service of ['matching', 'booking']) {
    expect(proxies[`${service}.redis`]!.upstream).toBe(`127.0.0.1:${new URL(stack().endpoints.redis).port}`);
    expect(proxies[`${service}.postgres-primary`]!.upstream).toBe(`127.0.0.1:${new URL(stack().endpoints.postgresPrimary).port}`);
  }
  expect(proxies['matching.postgres-replica']!.upstream).toBe(`127.0.0.1:${new URL(stack().endpoints.postgresReplica).port}`);
});

test('service traffic to postgres and redis flows through the proxy', async () => {
  const before = await (await fetch(`${stack().endpoints.faultProxy}/metrics`)).text();
  const count = (text: string, proxy: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('toxiproxy_proxy_sent_bytes_total') && line.includes(`proxy="${proxy}"`))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  const hub = stack().dataset.cities[0]!.hubs[3]!;
  expect((await api('GET', `/v1/routes/search?lat=${hub.lat}&lng=${hub.lng}&time=${stack().dataset.serviceDate}T08:05:00Z`)).status).toBe(200);
  const after = await (await fetch(`${stack().endpoints.faultProxy}/metrics`)).text();
  // A search is matching's: its own links carry it.
  expect(count(after, 'matching.redis')).toBeGreaterThan(count(before, 'matching.redis'));
  expect(count(after, 'matching.postgres-primary') + count(after, 'matching.postgres-replica')).toBeGreaterThan(count(before, 'matching.postgres-primary') + count(before, 'matching.postgres-replica'));
});

test('latency injected on the database path shows in the API latency, and goes with reset', async () => {
  const base: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    expect((await nearby()).status).toBe(200);
    base.push(performance.now() - started);
  }
  const proxies = await client().getAll();
  for (const name of ['matching.postgres-primary', 'matching.postgres-replica']) {
    await proxies[name]!.addToxic({ type: 'latency', stream: 'downstream', toxicity: 1, name: 'slow', attributes: { latency: 150, jitter: 0 } } as ICreateToxicBody<never>);
  }
  const slowed: number[] = [];
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    expect((await nearby()).status).toBe(200);
    slowed.push(performance.now() - started);
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[2]!;
  // One query round trip each, 150 ms late; the base median carries a few ms of noise either way.
  expect(median(slowed) - median(base)).toBeGreaterThanOrEqual(130);
});

test('cutting redis through the proxy degrades search to the database, and it recovers after reset', async () => {
  const redis = (await client().getAll())['matching.redis']!;
  await redis.update({ enabled: false, listen: redis.listen, upstream: redis.upstream });
  const errorsBefore = await metricSum('matching', 'cache_requests_total', { result: 'error' });
  const hub = stack().dataset.cities[0]!.hubs[4]!;
  const search = (minute: number) => api('GET', `/v1/routes/search?lat=${hub.lat}&lng=${hub.lng}&time=${stack().dataset.serviceDate}T18:${minute}:00Z`);
  for (const minute of [11, 41]) {
    const answer = await search(minute);
    expect(answer.status).toBe(200);
    expect(answer.body.cache).toBe('miss');
  }
  expect(await metricSum('matching', 'cache_requests_total', { result: 'error' })).toBeGreaterThanOrEqual(errorsBefore + 2);
  await client().reset();
  // ioredis reconnects on its own (backoff up to 1 s): a repeat becomes a cache hit again.
  const deadline = Date.now() + 10_000;
  let cache = '';
  while (Date.now() < deadline && cache !== 'hit') {
    await search(12);
    cache = (await search(12)).body.cache;
    if (cache !== 'hit') await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(cache).toBe('hit');
});
