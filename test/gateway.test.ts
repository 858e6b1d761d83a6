import { afterAll, describe, expect, test } from 'vitest';
import { api, eventually, stack } from './support/api.ts';

const admin = (method: string, path: string, body?: unknown, token: string | null = stack().adminToken) =>
  api(method, path, { base: stack().endpoints.gatewayAdmin, body, headers: token ? { authorization: `Bearer ${token}` } : {} });
const search = () => {
  const hub = stack().dataset.cities[0]!.hubs[0]!;
  return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=1000&limit=1`);
};
const matching2 = () => stack().components.find((c) => c.name === 'matching-2')!;

afterAll(async () => {
  process.kill(matching2().pid!, 'SIGCONT');
  await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 100, 'matching-2': 100 } });
});

describe('gateway admin', () => {
  test('requires the stack bearer token', async () => {
    expect((await admin('GET', '/admin/upstreams', undefined, null)).status).toBe(401);
    expect((await admin('GET', '/admin/upstreams', undefined, 'x'.repeat(48))).status).toBe(401);
    const ok = await admin('GET', '/admin/upstreams');
    expect(ok.status).toBe(200);
    expect(ok.body.groups.matching.map((m: any) => m.name)).toEqual(['matching-1', 'matching-2']);
  });

  test('weights change routing at runtime', async () => {
    const set = await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 0, 'matching-2': 100 } });
    expect(set.status).toBe(200);
    const served = new Set<string>();
    for (let i = 0; i < 20; i++) served.add((await search()).headers.get('x-upstream')!);
    expect([...served]).toEqual(['matching-2']);
    const invalid = await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 0, 'matching-2': 0 } });
    expect(invalid.status).toBe(400);
    const unknown = await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-9': 1 } });
    expect(unknown.status).toBe(400);
    await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 100, 'matching-2': 100 } });
    const both = new Set<string>();
    for (let i = 0; i < 40; i++) both.add((await search()).headers.get('x-upstream')!);
    expect([...both].sort()).toEqual(['matching-1', 'matching-2']);
  });
});

test('routes around a hung instance once health checks mark it down, and back after it recovers', async () => {
  process.kill(matching2().pid!, 'SIGSTOP');
  await eventually(async () => (await admin('GET', '/admin/upstreams')).body.groups.matching.find((m: any) => m.name === 'matching-2').healthy === false, 10_000, 'matching-2 marked unhealthy');
  for (let i = 0; i < 20; i++) {
    const answer = await search();
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-upstream')).toBe('matching-1');
  }
  process.kill(matching2().pid!, 'SIGCONT');
  await eventually(async () => (await admin('GET', '/admin/upstreams')).body.groups.matching.find((m: any) => m.name === 'matching-2').healthy === true, 10_000, 'matching-2 healthy again');
});
