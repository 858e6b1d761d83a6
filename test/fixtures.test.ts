import { createHash } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { cities, createFeeders, generate, haversineM, Prng, type FixtureOptions } from '../fixtures/index.ts';

const options: FixtureOptions = { seed: 42, routes: 2_000, stopsPerRoute: 5, drivers: 600, riders: 900, cities: ['lagos', 'kigali'], serviceDate: '2030-01-07' };
const digest = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex');

describe('fixtures', () => {
  test('the same seed gives identical data; another seed gives other data', () => {
    expect(digest(generate(options))).toBe(digest(generate(options)));
    expect(digest(generate({ ...options, seed: 43 }))).not.toBe(digest(generate(options)));
  });

  test('counts match the options exactly, split across cities by share', () => {
    const data = generate(options);
    expect(data.routes).toHaveLength(2_000);
    expect(data.stops).toHaveLength(10_000);
    expect(data.drivers).toHaveLength(600);
    expect(data.vehicles).toHaveLength(600);
    expect(data.riders).toHaveLength(900);
    const lagos = data.routes.filter((r) => r.city === 'lagos').length;
    expect(lagos).toBe(1_400);
  });

  test('routes run between hubs of their own city, with stops in order and ETAs increasing', () => {
    const data = generate(options);
    for (const route of data.routes.slice(0, 300)) {
      const stops = data.stops.filter((s) => s.routeId === route.id);
      expect(stops.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4]);
      for (let i = 1; i < stops.length; i++) expect(stops[i]!.eta.getTime()).toBeGreaterThan(stops[i - 1]!.eta.getTime());
      const city = cities[route.city];
      const nearestHubKm = Math.min(...city.hubs.map((hub) => haversineM(hub, stops[0]!))) / 1000;
      expect(nearestHubKm).toBeLessThan(5);
      expect(route.seatsTotal).toBeGreaterThanOrEqual(1);
      expect(route.seatsTotal).toBeLessThanOrEqual(8);
      expect(route.currency).toBe(city.currency);
    }
  });

  test('departures peak at rush hours', () => {
    const data = generate(options);
    const hour = (d: Date) => d.getUTCHours();
    const count = (from: number, to: number) => data.routes.filter((r) => hour(r.departureAt) >= from && hour(r.departureAt) < to).length;
    const morningPeak = count(7, 9);
    const evening = count(17, 19);
    const midday = count(12, 14);
    expect(morningPeak).toBeGreaterThan(2 * midday);
    expect(evening).toBeGreaterThan(2 * midday);
    expect(data.routes.every((r) => r.departureAt.toISOString().startsWith('2030-01-07'))).toBe(true);
  });

  test('the PRNG is uniform enough; forks are reproducible and distinct per label', () => {
    const prng = new Prng(1);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(prng.next() * 10)]++;
    for (const bucket of buckets) expect(Math.abs(bucket - 10_000)).toBeLessThan(500);
    // The generator forks every stream from an undrawn root, so each part of the dataset is a
    // function of the seed and its label alone.
    expect(new Prng(5).fork('routes').next()).toBe(new Prng(5).fork('routes').next());
    expect(new Prng(5).fork('routes').next()).not.toBe(new Prng(5).fork('riders').next());
    expect(new Prng(5).fork('routes').next()).not.toBe(new Prng(6).fork('routes').next());
  });

  test('feeders draw deterministic, in-range requests', () => {
    const dataset = {
      seed: 1,
      serviceDate: '2030-01-07',
      cities: [],
      counts: { drivers: 1, vehicles: 1, riders: 50, routes: 100, stops: 500 },
      routeIds: { min: 1, max: 100 },
      riderIds: { min: 1, max: 50 },
      searchSamples: [{ lat: 6.5, lng: 3.3, time: '2030-01-07T07:00:00Z', seats: 1, city: 'lagos' as const }],
      seedMs: 0,
    };
    const one = createFeeders(dataset, 3);
    const two = createFeeders(dataset, 3);
    for (let i = 0; i < 100; i++) {
      const booking = one.booking();
      expect(booking).toEqual(two.booking());
      expect(booking.routeId).toBeGreaterThanOrEqual(1);
      expect(booking.routeId).toBeLessThanOrEqual(100);
      expect(booking.riderId).toBeLessThanOrEqual(50);
    }
  });
});
