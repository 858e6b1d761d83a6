import { Worker } from 'node:worker_threads';
import { RushhourError } from '../errors.ts';
import type { MetricRegistry } from '../metrics/registry.ts';
import type { WorkloadContext } from '../scenario.ts';
import type { EngineOptions, EngineResult } from './engine.ts';
import { replay, type Recorded } from './forwarding-metrics.ts';
import type { WorkerData } from './worker-main.ts';

export type ToWorker = { type: 'start'; epoch: number } | { type: 'stop' };
export type FromWorker =
  | { type: 'ready' }
  | { type: 'batch'; batch: Recorded[] }
  | { type: 'tick'; second: number }
  | { type: 'done'; result: EngineResult }
  | { type: 'failed'; message: string; code: string | null };

export interface ShardedOptions extends Omit<EngineOptions, 'iteration' | 'metrics' | 'shard' | 'startAt'> {
  metrics: MetricRegistry;
  workers: number;
  /** Where each worker loads the scenario from, and the context its workload is built with. */
  workload: { module: string; source: string; context: WorkloadContext };
}

/** How long workers may take to load the scenario (tsx compiles it) before the run gives up. */
const READY_TIMEOUT_MS = 60_000;

/**
 * Runs a plan across worker threads when one core is not enough for the generator. Worker k
 * of n takes every n-th arrival of the one schedule (open model) or every n-th VU (closed
 * model), so together they send exactly what one thread would, from a common start. Each
 * ships its samples to this thread, which records them into the run's one registry and calls
 * `onSecond` for a second only once every worker has closed it.
 */
export async function runPlanInWorkers(options: ShardedOptions): Promise<EngineResult> {
  const count = options.workers;
  const entry = new URL('./worker-entry.mjs', import.meta.url);
  const vus = Array.from({ length: count }, () => 0);
  const ticks = Array.from({ length: count }, () => 0);
  const results: (EngineResult | null)[] = Array.from({ length: count }, () => null);
  let second = 0;
  let failure: RushhourError | null = null;
  const workers = Array.from({ length: count }, (_, index) => {
    const data: WorkerData = {
      module: options.workload.module,
      source: options.workload.source,
      context: options.workload.context,
      target: options.target,
      plan: options.plan,
      shard: { index, count },
      gracefulStopMs: options.gracefulStopMs ?? 30_000,
      requestTimeoutMs: options.requestTimeoutMs,
    };
    return new Worker(entry, { workerData: data });
  });
  options.metrics.gauge('vus_max', options.plan.maxVUs);
  options.metrics.count('dropped_iterations', 0);

  const ready = workers.map(
    (worker, index) =>
      new Promise<void>((resolve, reject) => {
        worker.on('message', (message: FromWorker) => {
          switch (message.type) {
            case 'ready':
              return resolve();
            case 'batch':
              return replay(options.metrics, message.batch, { vus, index });
            case 'tick': {
              ticks[index] = message.second;
              const closed = Math.min(...ticks);
              // Not `onSecond?.(++second)`: an optional call skips evaluating its arguments.
              while (second < closed) {
                second++;
                options.onSecond?.(second);
              }
              return;
            }
            case 'done':
              results[index] = message.result;
              return;
            case 'failed':
              failure ??= new RushhourError(message.code === 'RUSHHOUR_ERR_SCENARIO_INVALID' ? 'RUSHHOUR_ERR_SCENARIO_INVALID' : 'RUSHHOUR_ERR_INTERNAL', `load worker ${index + 1}/${count}: ${message.message}`);
              return reject(failure);
          }
        });
        worker.on('error', (error) => {
          failure ??= new RushhourError('RUSHHOUR_ERR_INTERNAL', `load worker ${index + 1}/${count} crashed: ${error.message}`);
          reject(failure);
        });
      }),
  );
  const exited = workers.map((worker) => new Promise<void>((resolve) => worker.once('exit', () => resolve())));
  const stop = () => workers.forEach((worker) => worker.postMessage({ type: 'stop' } satisfies ToWorker));
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(ready),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new RushhourError('RUSHHOUR_ERR_INTERNAL', `load workers not ready within ${READY_TIMEOUT_MS / 1_000} s`)), READY_TIMEOUT_MS))),
    ]).finally(() => clearTimeout(timer));
    // A common start shortly ahead, on the wall clock every thread shares.
    const startedAt = performance.now() + 50;
    for (const worker of workers) worker.postMessage({ type: 'start', epoch: performance.timeOrigin + startedAt } satisfies ToWorker);
    await Promise.all(exited);
    if (failure) throw failure;
    const done = results.filter((result): result is EngineResult => result !== null);
    if (done.length !== count) throw new RushhourError('RUSHHOUR_ERR_INTERNAL', `${count - done.length} load worker(s) ended without a result`);
    const durationMs = Math.max(...done.map((result) => result.durationMs));
    while (second < Math.floor(durationMs / 1_000)) {
      second++;
      options.onSecond?.(second);
    }
    return {
      startedAt,
      durationMs,
      iterations: done.reduce((sum, r) => sum + r.iterations, 0),
      dropped: done.reduce((sum, r) => sum + r.dropped, 0),
      iterationErrors: done.reduce((sum, r) => sum + r.iterationErrors, 0),
      maxVUsUsed: done.reduce((sum, r) => sum + r.maxVUsUsed, 0),
      aborted: options.signal.aborted,
    };
  } finally {
    options.signal.removeEventListener('abort', stop);
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
