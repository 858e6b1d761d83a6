// Trend percentiles must agree with k6's (sort every sample, interpolate linearly), read from an
// HDR histogram at 3 significant digits: within 0.1 % of the exact answer, at any sample count.
import { describe, expect, test } from 'vitest';
import { TrendSink } from '../harness/metrics/sinks.ts';

/** k6's TrendSink.P (metrics/sink.go), on raw samples. */
function k6Percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  if (sorted.length === 1) return sorted[0]!;
  const i = (p / 100) * (sorted.length - 1);
  const low = sorted[Math.floor(i)]!;
  const high = sorted[Math.ceil(i)]!;
  return low + (high - low) * (i - Math.floor(i));
}

function sinkOf(samples: number[]): TrendSink {
  const sink = new TrendSink();
  for (const ms of samples) sink.add(ms);
  return sink;
}

describe('trend percentiles follow k6', () => {
  test('p95 of 19 samples is interpolated, not the maximum', () => {
    const samples = [...Array.from({ length: 18 }, (_, i) => 20 + i), 480];
    const sink = sinkOf(samples);
    // i = 0.95 · 18 = 17.1: 10 % of the way from the 18th sample (37) to the 19th (480).
    expect(sink.percentile(95)).toBeCloseTo(37 + 0.1 * (480 - 37), 0);
    expect(sink.percentile(95)).toBeLessThan(100);
    expect(sink.percentile(100)).toBeCloseTo(480, 0);
  });

  test('one sample is every percentile; two samples interpolate', () => {
    expect(sinkOf([12.5]).percentile(0)).toBeCloseTo(12.5, 1);
    expect(sinkOf([12.5]).percentile(99)).toBeCloseTo(12.5, 1);
    expect(sinkOf([10, 30]).percentile(50)).toBeCloseTo(20, 1);
    expect(sinkOf([10, 30]).percentile(25)).toBeCloseTo(15, 1);
    expect(new TrendSink().percentile(95)).toBe(0);
  });

  test.each([1, 2, 7, 19, 20, 100, 1_001, 50_000])('%i random samples: within 0.1 % of k6 at every percentile', (n) => {
    // A deterministic, heavy-tailed sample set (log-uniform 0.1 ms .. 10 s).
    let state = n * 2_654_435_761;
    const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const samples = Array.from({ length: n }, () => 0.1 * 10 ** (5 * random()));
    const sink = sinkOf(samples);
    for (const p of [0, 1, 50, 90, 95, 99, 99.9, 100]) {
      const exact = k6Percentile(samples, p);
      expect(Math.abs(sink.percentile(p) - exact), `p${p} of ${n}`).toBeLessThanOrEqual(exact * 0.001 + 0.001);
    }
  });
});
