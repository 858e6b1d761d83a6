// The machine's lost time, as the generator records it beside its own health: CPU steal from
// /proc/stat and Linux stall pressure (PSI) per second, and the stretches long enough to name.
import { expect, test } from 'vitest';
import { existsSync } from 'node:fs';
import { hostStalls, STALL_MARKS, STALL_SECONDS, summariseHost, watchHost } from '../harness/load/host-health.ts';

const quiet = (n: number) => Array.from({ length: n }, (_, i) => ({ t: i + 1, stealPct: 5, ioPct: 1, memoryPct: 0 }));

test('a stretch of seconds at or over a mark is a stall; a shorter one, or one just under the mark, is not', () => {
  const series = quiet(30).map((p) => {
    if (p.t >= 5 && p.t < 5 + STALL_SECONDS) return { ...p, stealPct: STALL_MARKS.stealPct };
    if (p.t >= 12 && p.t < 12 + STALL_SECONDS - 1) return { ...p, ioPct: 90 };
    if (p.t >= 20 && p.t < 26) return { ...p, memoryPct: STALL_MARKS.memoryPct - 0.1, ioPct: 70 };
    return p;
  });
  expect(hostStalls(series)).toEqual([
    { resource: 'CPU steal', fromSecond: 4, toSecond: 7, meanPct: STALL_MARKS.stealPct },
    { resource: 'I/O stall', fromSecond: 19, toSecond: 25, meanPct: 70 },
  ]);
  const health = summariseHost(series);
  expect(health.warning).toBe(`the machine stalled: CPU steal ${STALL_MARKS.stealPct} % over 4–7 s; I/O stall 70 % over 19–25 s`);
  expect(health).toMatchObject({ stealPctMax: STALL_MARKS.stealPct, ioPctMax: 90, memoryPctMax: 24.9 });
  expect(summariseHost(quiet(30))).toMatchObject({ stalls: [], warning: null, stealPctMean: 5 });
});

test('seconds /proc could not measure are neither stalls nor zeros in the means', () => {
  const series = quiet(10).map((p) => ({ ...p, memoryPct: null }));
  expect(summariseHost(series)).toMatchObject({ memoryPctMean: null, memoryPctMax: null, stalls: [] });
});

test('on this Linux machine, each second gets its share of steal and of I/O and memory pressure', async () => {
  const host = watchHost();
  for (let t = 1; t <= 3; t++) {
    // Keep one core busy for part of each second, so the counters move.
    const until = performance.now() + 200;
    while (performance.now() < until);
    await new Promise((resolve) => setTimeout(resolve, 100));
    host.tick(t);
  }
  const health = host.finish();
  expect(health.series.map((p) => p.t)).toEqual([1, 2, 3]);
  for (const point of health.series) {
    for (const value of [point.stealPct, point.ioPct, point.memoryPct]) {
      if (value !== null) expect(value).toBeGreaterThanOrEqual(0), expect(value).toBeLessThanOrEqual(100);
    }
    expect(point.stealPct === null).toBe(!existsSync('/proc/stat'));
    expect(point.ioPct === null).toBe(!existsSync('/proc/pressure/io'));
  }
});
