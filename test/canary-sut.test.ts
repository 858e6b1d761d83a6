// What the SUT gives a canary: matching's v2 (ranking with seat headroom) and v2-regressed
// (v2 made worse on purpose), a gateway that takes a candidate into a group at runtime, names
// the version behind every answer, and lets the candidate go again, and per-endpoint feature
// flags the gateway draws per request, which matching honours in its read routing.
import { afterAll, describe, expect, test } from 'vitest';
import { rank, type Candidate } from '../system-under-test/services/matching/search.ts';
import { regression, variantOf } from '../system-under-test/services/matching/variant.ts';
import { api, stack } from './support/api.ts';

describe('matching variants', () => {
  const params = { lat: 6.5, lng: 3.4, time: Date.parse('2030-01-07T08:00:00Z'), seats: 1, radiusM: 2_000 };
  // Two routes alike in all but seats: the nearer one has a single seat left.
  const near: Candidate = { routeId: 1, driverId: 1, lat: 6.5009, lng: 3.4, eta: params.time, seatsAvailable: 1, priceMinor: 1_000, currency: 'NGN', rating: 4.5 };
  const roomy: Candidate = { ...near, routeId: 2, driverId: 2, lat: 6.5018, seatsAvailable: 4 };

  test('v1 ranks the nearer route first; v2 prefers the route with seats to spare and says so', () => {
    expect(rank([near, roomy], params, 'v1').map((r) => r.routeId)).toEqual([1, 2]);
    const v2 = rank([near, roomy], params, 'v2');
    expect(v2.map((r) => r.routeId)).toEqual([2, 1]);
    expect(v2[0]!.explanation).toMatch(/3 seats to spare$/);
    expect(v2[1]!.explanation).toMatch(/0 seats to spare$/);
  });

  test('v2-regressed adds its latency and errors; v1 and v2 add nothing', async () => {
    expect(variantOf('v1', {})).toMatchObject({ scoring: 'v1', addedLatencyMs: 0, errorRate: 0 });
    expect(variantOf('v2', { latencyMs: 500 })).toMatchObject({ scoring: 'v2', addedLatencyMs: 0, errorRate: 0 });
    const regressed = variantOf('v2-regressed', { latencyMs: 80, errorRate: 0.5 });
    expect(regressed).toMatchObject({ scoring: 'v2', addedLatencyMs: 80, errorRate: 0.5 });
    const started = performance.now();
    await expect(regression(regressed, () => 0.1)).rejects.toMatchObject({ status: 500, code: 'REGRESSION' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    await expect(regression(regressed, () => 0.9)).resolves.toBeUndefined();
  });
});

describe('gateway members at runtime', () => {
  const admin = (method: string, path: string, body?: unknown) => api(method, path, { base: stack().endpoints.gatewayAdmin, body, headers: { authorization: `Bearer ${stack().adminToken}` } });
  const nearby = () => {
    const hub = stack().dataset.cities[0]!.hubs[0]!;
    return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=1000&limit=1`);
  };
  const matching2 = () => stack().components.find((c) => c.name === 'matching-2')!;

  afterAll(async () => {
    await admin('DELETE', '/admin/upstreams/matching/members/matching-canary');
    await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 100, 'matching-2': 100 } });
  });

  test('a candidate joins at weight 0, takes traffic when weighted, is named with its version in every answer, and leaves', async () => {
    // matching-2's process stands in for a candidate: the gateway knows it by another name and version.
    const joined = await admin('PUT', '/admin/upstreams/matching/members/matching-canary', { url: matching2().url, version: '2.0.0' });
    expect(joined.status).toBe(200);
    expect(joined.body.members.find((m: { name: string }) => m.name === 'matching-canary')).toMatchObject({ weight: 0, version: '2.0.0', healthy: true });
    for (let i = 0; i < 10; i++) expect((await nearby()).headers.get('x-upstream')).not.toBe('matching-canary');

    await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 0, 'matching-2': 0, 'matching-canary': 100 } });
    for (let i = 0; i < 10; i++) {
      const answer = await nearby();
      expect(answer.headers.get('x-upstream')).toBe('matching-canary');
      expect(answer.headers.get('x-upstream-version')).toBe('2.0.0');
    }
    // The only weighted member cannot leave: nobody would serve.
    expect((await admin('DELETE', '/admin/upstreams/matching/members/matching-canary')).status).toBe(409);
    await admin('PUT', '/admin/upstreams/matching/weights', { weights: { 'matching-1': 100, 'matching-2': 100, 'matching-canary': 0 } });
    expect((await admin('DELETE', '/admin/upstreams/matching/members/matching-canary')).status).toBe(200);
    expect((await admin('GET', '/admin/upstreams')).body.groups.matching.map((m: { name: string }) => m.name)).toEqual(['matching-1', 'matching-2']);
    expect((await admin('DELETE', '/admin/upstreams/matching/members/matching-canary')).status).toBe(404);
    const answer = await nearby();
    expect(answer.headers.get('x-upstream-version')).toBe(stack().components.find((c) => c.name === answer.headers.get('x-upstream'))!.version);
  });

  test('a candidate that does not answer /health is refused, and bad input is a 400 naming the field', async () => {
    const dead = await admin('PUT', '/admin/upstreams/matching/members/matching-dead', { url: 'http://127.0.0.1:9', version: '2.0.0' });
    expect(dead.status).toBe(409);
    expect(dead.body.error.code).toBe('MEMBER_UNHEALTHY');
    const bad = await admin('PUT', '/admin/upstreams/matching/members/matching-bad', { url: 'not a url', version: '' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/url/);
    expect((await admin('PUT', '/admin/upstreams/nowhere/members/x', { url: matching2().url, version: '2' })).status).toBe(404);
  });
});

describe('per-endpoint feature flags at the gateway', () => {
  const admin = (method: string, path: string, body?: unknown, token = stack().adminToken) => api(method, path, { base: stack().endpoints.gatewayAdmin, body, headers: { authorization: `Bearer ${token}` } });
  const nearby = (headers: Record<string, string> = {}) => {
    const hub = stack().dataset.cities[0]!.hubs[0]!;
    return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=1000&limit=1`, { headers });
  };

  afterAll(async () => {
    await admin('DELETE', '/admin/flags/read-routing.nearby');
  });

  test('without an override no arm is drawn, and a client cannot pick one', async () => {
    expect((await admin('GET', '/admin/flags')).body.flags.map((f: { name: string; percent: number | null }) => [f.name, f.percent])).toEqual([
      ['read-routing.search', null],
      ['read-routing.nearby', null],
    ]);
    const answer = await nearby({ 'x-feature-flag': 'read-routing.nearby=off' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('x-feature-flag')).toBeNull();
    // The test stack routes reads to its caught-up replica: the client's "off" was not honoured.
    expect(answer.headers.get('x-read-target')).toBe('replica');
  });

  test("an override draws the arm per request: \"on\" reads from the replica, \"off\" stays on the primary, each counted by arm", async () => {
    expect((await admin('PUT', '/admin/flags/read-routing.nearby', { percent: 30 })).status).toBe(200);
    const arms: Record<string, string[]> = { on: [], off: [] };
    for (let i = 0; i < 200; i++) {
      const answer = await nearby();
      expect(answer.status).toBe(200);
      const arm = /^read-routing\.nearby=(on|off)$/.exec(answer.headers.get('x-feature-flag') ?? '')![1]!;
      arms[arm]!.push(answer.headers.get('x-read-target')!);
    }
    // 30 % of 200: 60 expected, sd 6.5.
    expect(arms.on!.length).toBeGreaterThan(35);
    expect(arms.on!.length).toBeLessThan(85);
    expect(new Set(arms.off)).toEqual(new Set(['primary']));
    expect(arms.on!.filter((t) => t === 'replica').length).toBeGreaterThanOrEqual(arms.on!.length * 0.9);
    const metrics = (await api('GET', '/metrics')).body as string;
    const count = (arm: string) => Number(new RegExp(`feature_flag_requests_total\\{[^}]*flag="read-routing.nearby",arm="${arm}",status_code="200"[^}]*\\} (\\d+)`).exec(metrics)?.[1]);
    expect(count('on')).toBeGreaterThanOrEqual(arms.on!.length);
    expect(count('off')).toBeGreaterThanOrEqual(arms.off!.length);
    // Searches are not under this flag.
    expect((await api('GET', `/v1/routes/search?lat=${stack().dataset.cities[0]!.hubs[0]!.lat}&lng=${stack().dataset.cities[0]!.hubs[0]!.lng}&time=2030-01-07T08:00:00Z`)).headers.get('x-feature-flag')).toBeNull();
  });

  test('0 % is off for every request, 100 % on; dropping the override hands routing back to the service', async () => {
    await admin('PUT', '/admin/flags/read-routing.nearby', { percent: 0 });
    for (let i = 0; i < 10; i++) expect((await nearby()).headers.get('x-feature-flag')).toBe('read-routing.nearby=off');
    await admin('PUT', '/admin/flags/read-routing.nearby', { percent: 100 });
    for (let i = 0; i < 10; i++) expect((await nearby()).headers.get('x-feature-flag')).toBe('read-routing.nearby=on');
    expect((await admin('DELETE', '/admin/flags/read-routing.nearby')).body.flags.find((f: { name: string }) => f.name === 'read-routing.nearby').percent).toBeNull();
    expect((await nearby()).headers.get('x-feature-flag')).toBeNull();
  });

  test('an unknown flag is a 404 naming the known ones, a bad percent a 400, no token a 401', async () => {
    const unknown = await admin('PUT', '/admin/flags/read-routing.bookings', { percent: 10 });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: 'UNKNOWN_FLAG' });
    expect(unknown.body.error.message).toContain('read-routing.nearby');
    expect((await admin('PUT', '/admin/flags/read-routing.nearby', { percent: 101 })).status).toBe(400);
    expect((await admin('PUT', '/admin/flags/read-routing.nearby', { percent: 10 }, 'not-the-token-at-all')).status).toBe(401);
    expect((await admin('GET', '/admin/flags')).body.flags.find((f: { name: string }) => f.name === 'read-routing.nearby').percent).toBeNull();
  });
});
