import { describe, expect, test } from 'vitest';
import { createFeeders, haversineM } from '../fixtures/index.ts';
import { api, stack, withPrimary } from './support/api.ts';

const WINDOW_MS = 15 * 60_000;

/** A search the seeded city answers: a real stop's position and ETA, straight from the database. */
async function knownStop() {
  return withPrimary(async (client) => {
    const { rows } = await client.query<{ route_id: string; lat: number; lng: number; eta: Date }>('SELECT route_id, lat, lng, eta FROM route_stops ORDER BY route_id, seq LIMIT 1 OFFSET 1234');
    return rows[0]!;
  });
}

describe('GET /v1/routes/search', () => {
  test('returns ranked results inside the radius and the time window, with explanations', async () => {
    const stop = await knownStop();
    const time = new Date(stop.eta.getTime() + 4 * 60_000).toISOString();
    const radius = 2_000;
    const answer = await api('GET', `/v1/routes/search?lat=${stop.lat}&lng=${stop.lng}&time=${encodeURIComponent(time)}&seats=1&radius_m=${radius}`);
    expect(answer.status).toBe(200);
    const results = answer.body.results as any[];
    expect(results.length).toBeGreaterThan(0);
    // The stop's own route must be among the matches (it is 0 m away, 4 min off).
    expect(results.map((r) => r.routeId)).toContain(Number(stop.route_id));
    for (const result of results) {
      expect(result.distanceM).toBeLessThanOrEqual(radius);
      expect(Math.abs(Date.parse(result.departureAt) - Date.parse(time))).toBeLessThanOrEqual(WINDOW_MS);
      expect(result.seatsAvailable).toBeGreaterThanOrEqual(1);
      expect(typeof result.explanation).toBe('string');
      expect(result.explanation).toMatch(/m away/);
    }
    const scores = results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(new Set(results.map((r) => r.routeId)).size).toBe(results.length);
  });

  test('the distances it reports agree with an independent haversine', async () => {
    const stop = await knownStop();
    const time = stop.eta.toISOString();
    const answer = await api('GET', `/v1/routes/search?lat=${stop.lat}&lng=${stop.lng}&time=${encodeURIComponent(time)}&radius_m=3000`);
    const results = answer.body.results as any[];
    const stops = await withPrimary(async (client) => (await client.query<{ route_id: string; lat: number; lng: number }>('SELECT route_id, lat, lng FROM route_stops WHERE route_id = ANY($1)', [results.map((r) => r.routeId)])).rows);
    for (const result of results) {
      const nearest = Math.min(...stops.filter((s) => Number(s.route_id) === result.routeId).map((s) => haversineM(stop, s)));
      expect(Math.abs(result.distanceM - nearest)).toBeLessThanOrEqual(1);
    }
  });

  test('a repeat of the same search is a cache hit, and is counted as one', async () => {
    const feeders = createFeeders(stack().dataset, 99);
    const s = feeders.search();
    const query = `/v1/routes/search?lat=${s.lat}&lng=${s.lng}&time=${encodeURIComponent(s.time)}&seats=${s.seats}&radius_m=${s.radiusM}`;
    const first = await api('GET', query);
    const second = await api('GET', query);
    expect(first.status).toBe(200);
    expect(first.body.cache).toBe('miss');
    expect(second.body.cache).toBe('hit');
    expect(second.body.results).toEqual(first.body.results);
  });

  test.each([
    ['lat out of range', 'lat=91&lng=3.3&time=2030-01-07T07:30:00Z', 'lat'],
    ['seats above 8', 'lat=6.5&lng=3.3&time=2030-01-07T07:30:00Z&seats=9', 'seats'],
    ['seats zero', 'lat=6.5&lng=3.3&time=2030-01-07T07:30:00Z&seats=0', 'seats'],
    ['not a time', 'lat=6.5&lng=3.3&time=tomorrow', 'time'],
    ['unknown parameter', 'lat=6.5&lng=3.3&time=2030-01-07T07:30:00Z&colour=red', 'colour'],
    ['missing lng', 'lat=6.5&time=2030-01-07T07:30:00Z', 'lng'],
    ['text for a number', 'lat=abc&lng=3.3&time=2030-01-07T07:30:00Z', 'lat'],
  ])('%s → 400 with a stable code naming the field', async (_, query, field) => {
    const answer = await api('GET', `/v1/routes/search?${query}`);
    expect(answer.status).toBe(400);
    expect(answer.body.error.code).toBe('INVALID_REQUEST');
    expect(answer.body.error.message).toContain(field);
  });
});

describe('GET /v1/drivers/nearby', () => {
  test('returns drivers within the radius, nearest first, with their vehicle', async () => {
    const hub = stack().dataset.cities[0]!.hubs[0]!;
    const answer = await api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=3000&limit=15`);
    expect(answer.status).toBe(200);
    const drivers = answer.body.drivers as any[];
    expect(drivers.length).toBeGreaterThan(0);
    expect(drivers.length).toBeLessThanOrEqual(15);
    const distances = drivers.map((d) => d.distanceM);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    for (const driver of drivers) {
      expect(driver.distanceM).toBeLessThanOrEqual(3000);
      expect(driver.vehicle).toMatchObject({ make: expect.any(String), plate: expect.any(String), seats: expect.any(Number) });
    }
  });
});

describe('gateway', () => {
  test('unknown paths are 404 with a JSON error, never a 500', async () => {
    const answer = await api('GET', '/v2/nothing');
    expect(answer.status).toBe(404);
    expect(answer.body.error.code).toBe('NOT_FOUND');
  });
});
