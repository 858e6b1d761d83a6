import hdr from 'hdr-histogram-js';
import type { Aggregation, MetricType } from '../verdict/thresholds.ts';

// Client-side metric sinks with k6's semantics, but a trend is an HDR histogram (µs, 3
// significant digits, mergeable and serialisable) instead of every sample kept and sorted:
// memory stays flat over a soak (k6 #763, #1068).

/** 1 µs to 1 hour, 3 significant digits: 0.1 % relative error at any latency. */
export function newHistogram(): hdr.Histogram {
  return hdr.build({ bitBucketSize: 64, autoResize: true, lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3, useWebAssembly: false });
}

/**
 * k6's percentile (metrics/sink.go): with n samples sorted, i = p/100 · (n − 1), and the value
 * interpolated linearly between the samples at ranks ⌊i⌋ and ⌈i⌉. HDR's own getValueAtPercentile
 * takes the nearest rank above, which on a small run is the maximum (p95 of 19 samples): a quick
 * CI run would be judged on its single slowest request where k6 would not. Each sample is read
 * as its bucket's highest equivalent value (0.1 % wide), one pass over the counts.
 */
export function percentileOf(histogram: hdr.Histogram, p: number): number {
  const h = histogram as hdr.JsHistogram;
  const n = h.totalCount;
  if (n === 0) return 0;
  const i = (Math.min(Math.max(p, 0), 100) / 100) * (n - 1);
  const lowRank = Math.floor(i);
  const highRank = Math.ceil(i);
  let low = Number.NaN;
  let seen = 0;
  for (let index = 0; index < h.countsArrayLength; index++) {
    const count = h.getCountAtIndex(index);
    if (count === 0) continue;
    seen += count;
    // Ranks are 0-based: this bucket holds ranks [seen − count, seen − 1].
    if (Number.isNaN(low) && seen > lowRank) low = h.highestEquivalentValue(h.valueFromIndex(index));
    if (seen > highRank) {
      const high = h.highestEquivalentValue(h.valueFromIndex(index));
      return low + (high - low) * (i - lowRank);
    }
  }
  return h.maxValue;
}

export interface Sink {
  readonly type: MetricType;
  /** No samples yet: k6 lets such a threshold pass. */
  readonly empty: boolean;
  /** The value of an aggregation; `elapsedMs` turns a counter's count into a per-second rate. */
  value(aggregation: Aggregation, elapsedMs: number): number;
}

export class TrendSink implements Sink {
  readonly type = 'trend' as const;
  readonly histogram = newHistogram();

  /** Adds a sample in milliseconds (fractional), stored as whole microseconds. */
  add(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1_000)));
  }

  get empty(): boolean {
    return this.histogram.totalCount === 0;
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Percentile in milliseconds, as k6 computes it (see `percentileOf`). */
  percentile(p: number): number {
    return percentileOf(this.histogram, p) / 1_000;
  }

  value(aggregation: Aggregation): number {
    const h = this.histogram;
    switch (aggregation.kind) {
      case 'percentile':
        return this.percentile(aggregation.p);
      case 'med':
        return this.percentile(50);
      case 'avg':
        return h.mean / 1_000;
      case 'min':
        return h.minNonZeroValue / 1_000;
      case 'max':
        return h.maxValue / 1_000;
      default:
        throw new Error(`${aggregation.kind} does not apply to a trend`);
    }
  }
}

export class CounterSink implements Sink {
  readonly type = 'counter' as const;
  count = 0;
  #touched = false;

  add(n = 1): void {
    this.count += n;
    this.#touched = true;
  }

  get empty(): boolean {
    return !this.#touched;
  }

  value(aggregation: Aggregation, elapsedMs: number): number {
    if (aggregation.kind === 'count') return this.count;
    if (aggregation.kind === 'rate') return elapsedMs > 0 ? this.count / (elapsedMs / 1_000) : 0;
    throw new Error(`${aggregation.kind} does not apply to a counter`);
  }
}

export class RateSink implements Sink {
  readonly type = 'rate' as const;
  trues = 0;
  total = 0;

  add(hit: boolean): void {
    this.total++;
    if (hit) this.trues++;
  }

  get empty(): boolean {
    return this.total === 0;
  }

  value(aggregation: Aggregation): number {
    if (aggregation.kind !== 'rate') throw new Error(`${aggregation.kind} does not apply to a rate`);
    return this.total === 0 ? 0 : this.trues / this.total;
  }
}

export class GaugeSink implements Sink {
  readonly type = 'gauge' as const;
  last = 0;
  min = Infinity;
  max = -Infinity;
  #touched = false;

  set(value: number): void {
    this.last = value;
    this.min = Math.min(this.min, value);
    this.max = Math.max(this.max, value);
    this.#touched = true;
  }

  get empty(): boolean {
    return !this.#touched;
  }

  value(aggregation: Aggregation): number {
    if (aggregation.kind !== 'value') throw new Error(`${aggregation.kind} does not apply to a gauge`);
    return this.last;
  }
}

export type AnySink = TrendSink | CounterSink | RateSink | GaugeSink;

export function newSink(type: MetricType): AnySink {
  switch (type) {
    case 'trend':
      return new TrendSink();
    case 'counter':
      return new CounterSink();
    case 'rate':
      return new RateSink();
    case 'gauge':
      return new GaugeSink();
  }
}
