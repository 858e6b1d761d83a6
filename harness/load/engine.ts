import { setTimeout as sleep } from 'node:timers/promises';
import type { MetricSink } from './forwarding-metrics.ts';
import type { HttpClient } from './client.ts';
import { LoadClient } from './client.ts';
import { arrivals, valueAt, type Plan } from './executors.ts';

/** One iteration of a VU: a journey of requests. Throwing is recorded, never propagated. */
export type Iteration = (http: HttpClient, vu: { id: number; iteration: number }) => Promise<void>;

export interface EngineOptions {
  target: string;
  plan: Plan;
  iteration: Iteration;
  metrics: MetricSink;
  /** Aborted by Ctrl-C or an abortOnFail threshold: no new iterations start. */
  signal: AbortSignal;
  /** How long in-flight iterations may finish after the plan ends (k6's gracefulStop, 30 s). */
  gracefulStopMs?: number;
  requestTimeoutMs?: number;
  /** Record what served each answer, from this response header (the gateway's x-upstream-version), for canaries. */
  tagVersions?: string;
  /** Called once a second with the seconds elapsed (for continuous evaluation and the record). */
  onSecond?: (second: number) => void;
  /** This thread's share of the plan (workers.ts): every `count`-th arrival, or VU, from `index`. */
  shard?: { index: number; count: number };
  /** The common start (performance.now() of this thread) when several threads share a plan. */
  startAt?: number;
}

export interface EngineResult {
  startedAt: number;
  durationMs: number;
  iterations: number;
  dropped: number;
  iterationErrors: number;
  maxVUsUsed: number;
  aborted: boolean;
}

/**
 * Runs a plan: the open model starts iterations on the arrival schedule whatever the answers
 * take (an iteration that finds no idle VU, with maxVUs reached, is dropped and counted, with
 * no latency sample, as k6 does); the closed model keeps N VUs looping, N following the stages.
 */
export async function runPlan(options: EngineOptions): Promise<EngineResult> {
  const { plan, metrics, signal } = options;
  // Loaded here, not at import time: a scenario file that imports the harness gets its own copy
  // of it (module-loader.ts), and a second undici instance fails its own identity checks. The
  // clock starts after it: a first load of undici takes tens of ms, which would otherwise be
  // charged to the first requests as lateness.
  const { Pool } = await import('undici');
  if (options.startAt !== undefined && options.startAt > performance.now()) await sleep(options.startAt - performance.now());
  const startedAt = options.startAt ?? performance.now();
  const shard = options.shard ?? { index: 0, count: 1 };
  const mine = (n: number) => n % shard.count === shard.index;
  // This thread's VU pool: its share of the plan's, at least one.
  const share = (n: number) => (shard.count === 1 ? n : Math.max(1, Math.ceil(n / shard.count)));
  const client = new LoadClient(Pool, options.target, metrics, { connections: share(plan.maxVUs), timeoutMs: options.requestTimeoutMs ?? 10_000, startedAt, tagVersions: options.tagVersions });
  const result: EngineResult = { startedAt, durationMs: 0, iterations: 0, dropped: 0, iterationErrors: 0, maxVUsUsed: 0, aborted: false };
  const inFlight = new Set<Promise<void>>();
  let active = 0;
  let iterationCount = 0;
  // One async function per iteration rather than a .catch().finally() chain: two promises
  // fewer per iteration, which counts at 15k iterations/s on a shared core.
  const iterate = async (vu: number, intendedStart: number): Promise<void> => {
    const begun = performance.now();
    active++;
    if (active > result.maxVUsUsed) result.maxVUsUsed = active;
    metrics.gauge('vus', active);
    try {
      await options.iteration(client.forIteration(intendedStart), { id: vu, iteration: iterationCount++ });
    } catch {
      result.iterationErrors++;
    } finally {
      active--;
      result.iterations++;
      metrics.count('iterations');
      metrics.trend('iteration_duration', performance.now() - begun);
    }
  };
  const runIteration = (vu: number, intendedStart: number): Promise<void> => {
    const promise = iterate(vu, intendedStart);
    inFlight.add(promise);
    void promise.then(() => inFlight.delete(promise));
    return promise;
  };

  let second = 0;
  // Not `onSecond?.(++second)`: an optional call skips evaluating its arguments.
  const advanceTo = (now: number) => {
    while (second < now) {
      second++;
      options.onSecond?.(second);
    }
  };
  const ticker = setInterval(() => advanceTo(Math.floor((performance.now() - startedAt) / 1_000)), 200);
  if (shard.count === 1) metrics.gauge('vus_max', plan.maxVUs);
  // Zero is a value: a run that dropped nothing reports 0, not "no data".
  if (shard.count === 1) metrics.count('dropped_iterations', 0);
  try {
    if (plan.model === 'open') {
      let vuIds = 0;
      const idle: number[] = Array.from({ length: share(plan.preAllocatedVUs) }, () => ++vuIds);
      const maxVUs = share(plan.maxVUs);
      let arrival = -1;
      for (const offset of arrivals(plan.stages)) {
        if (!mine(++arrival)) continue;
        if (signal.aborted) break;
        const due = startedAt + offset;
        const wait = due - performance.now();
        if (wait > 1) await sleep(wait, undefined, { signal }).catch(() => {});
        if (signal.aborted) break;
        const vu = idle.pop() ?? (vuIds < maxVUs ? ++vuIds : undefined);
        if (vu === undefined) {
          result.dropped++;
          metrics.count('dropped_iterations');
          continue;
        }
        void runIteration(vu, due).then(() => idle.push(vu));
      }
      // The schedule's last start may come before the plan's end: keep the clock honest.
      const left = startedAt + plan.durationMs - performance.now();
      if (left > 0 && !signal.aborted) await sleep(left, undefined, { signal }).catch(() => {});
    } else {
      const loops: Promise<void>[] = [];
      const end = startedAt + plan.durationMs;
      const target = () => Math.round(valueAt(plan.stages, performance.now() - startedAt));
      const vuLoop = async (vu: number) => {
        // A VU above the current target waits (ramping down), and ends with the plan.
        while (!signal.aborted && performance.now() < end) {
          if (vu > target()) {
            await sleep(50);
            continue;
          }
          await runIteration(vu, performance.now());
        }
      };
      for (let vu = 1; vu <= plan.maxVUs; vu++) if (mine(vu - 1)) loops.push(vuLoop(vu));
      await Promise.all(loops);
    }
  } finally {
    result.aborted = signal.aborted;
    // In-flight iterations get gracefulStop to finish; then the pool is closed under them.
    const graceTimer = new AbortController();
    const grace = sleep(options.gracefulStopMs ?? 30_000, 'timeout' as const, { signal: graceTimer.signal }).catch(() => 'cancelled' as const);
    await Promise.race([Promise.allSettled([...inFlight]), grace]);
    graceTimer.abort();
    clearInterval(ticker);
    result.durationMs = performance.now() - startedAt;
    advanceTo(Math.floor(result.durationMs / 1_000));
    await client.close();
  }
  return result;
}
