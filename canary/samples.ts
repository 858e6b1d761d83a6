// The load's answers, split by the version that served them (the gateway names it in each
// answer), kept per second so an analysis can take exactly the requests of its window and a
// rollback trigger the last few seconds. Raw values, not histograms: the Mann–Whitney test
// ranks individual requests.

export interface VersionSample {
  version: string;
  endpoint: string;
  latencyMs: number;
  failed: boolean;
  /** Second of the run the request was due (its intended start). */
  second: number;
}

/** Per second: one array of latencies and one of failures (0/1), per version and endpoint. */
type Second = Map<string, { latency: number[]; failed: number[] }>;

export class SampleBook {
  readonly #seconds = new Map<number, Second>();
  /** Seconds older than this many behind the newest are dropped (bounded memory on a long run). */
  readonly #keepSeconds: number;
  #newest = 0;

  constructor(options: { keepSeconds?: number } = {}) {
    this.#keepSeconds = options.keepSeconds ?? 600;
  }

  record(sample: VersionSample): void {
    let second = this.#seconds.get(sample.second);
    if (!second) {
      second = new Map();
      this.#seconds.set(sample.second, second);
      if (sample.second > this.#newest) {
        this.#newest = sample.second;
        for (const t of this.#seconds.keys()) if (t < this.#newest - this.#keepSeconds) this.#seconds.delete(t);
      }
    }
    const key = `${sample.version}\u0000${sample.endpoint}`;
    let entry = second.get(key);
    if (!entry) {
      entry = { latency: [], failed: [] };
      second.set(key, entry);
    }
    entry.latency.push(sample.latencyMs);
    entry.failed.push(sample.failed ? 1 : 0);
  }

  /** Every value of `version` (one endpoint, or all) due in seconds [from, to). */
  values(version: string, measure: 'latency' | 'errors', from: number, to: number, endpoint?: string): number[] {
    const out: number[] = [];
    for (let t = from; t < to; t++) {
      const second = this.#seconds.get(t);
      if (!second) continue;
      for (const [key, entry] of second) {
        const [v, e] = key.split('\u0000') as [string, string];
        if (v !== version || (endpoint !== undefined && e !== endpoint)) continue;
        const values = measure === 'latency' ? entry.latency : entry.failed;
        for (const value of values) out.push(value);
      }
    }
    return out;
  }

  /** Requests, failures and p95 of `version` in seconds [from, to), for the rollback triggers. */
  summary(version: string, from: number, to: number): { requests: number; failed: number; p95: number | null } {
    const latency = this.values(version, 'latency', from, to);
    const failed = this.values(version, 'errors', from, to).reduce((sum, value) => sum + value, 0);
    if (latency.length === 0) return { requests: 0, failed: 0, p95: null };
    latency.sort((a, b) => a - b);
    // k6's interpolated percentile, as every threshold of this project reads it.
    const i = 0.95 * (latency.length - 1);
    const lo = Math.floor(i);
    const p95 = latency[lo]! + (latency[Math.ceil(i)]! - latency[lo]!) * (i - lo);
    return { requests: latency.length, failed, p95 };
  }
}
