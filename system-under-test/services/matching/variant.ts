import { setTimeout as sleep } from 'node:timers/promises';
import { HttpError } from '../lib/errors.ts';
import type { Scoring } from './search.ts';

// The matching builds a canary can roll out: `v1` (the baseline), `v2` (a real change: ranking
// with seat headroom) and `v2-regressed` (v2 made worse on purpose, with added latency and an
// error rate, so a rollback is exercised as well as a promotion).

export interface Variant {
  name: 'v1' | 'v2' | 'v2-regressed';
  scoring: Scoring;
  addedLatencyMs: number;
  errorRate: number;
}

/** v2-regressed adds 150 ms and no errors unless told otherwise; the others add nothing. */
export function variantOf(name: Variant['name'], regression: { latencyMs?: number | undefined; errorRate?: number | undefined }): Variant {
  if (name === 'v1') return { name, scoring: 'v1', addedLatencyMs: 0, errorRate: 0 };
  if (name === 'v2') return { name, scoring: 'v2', addedLatencyMs: 0, errorRate: 0 };
  return { name, scoring: 'v2', addedLatencyMs: regression.latencyMs ?? 150, errorRate: regression.errorRate ?? 0 };
}

/** What the regressed variant does to every search and nearby request before answering it. */
export async function regression(variant: Variant, random = Math.random): Promise<void> {
  if (variant.addedLatencyMs > 0) await sleep(variant.addedLatencyMs);
  if (variant.errorRate > 0 && random() < variant.errorRate) throw new HttpError(500, 'REGRESSION', `injected by the ${variant.name} variant`);
}
