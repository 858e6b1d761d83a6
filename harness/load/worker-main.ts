import { parentPort, workerData } from 'node:worker_threads';
import { importDefault } from '../module-loader.ts';
import { iterationFor, validateScenario, type WorkloadContext } from '../scenario.ts';
import { runPlan } from './engine.ts';
import type { Plan } from './executors.ts';
import { ForwardingMetrics } from './forwarding-metrics.ts';
import type { ToWorker, FromWorker } from './workers.ts';

// One shard of a run's load, in a worker thread: it loads the scenario itself (a workload is a
// closure and cannot cross threads), runs its share of the plan from the common start, and
// ships what it records to the main thread in batches, with a tick at each second it closes.

export interface WorkerData {
  module: string;
  source: string;
  context: WorkloadContext;
  target: string;
  plan: Plan;
  shard: { index: number; count: number };
  gracefulStopMs: number;
  requestTimeoutMs?: number;
}

const port = parentPort!;
const data = workerData as WorkerData;
const send = (message: FromWorker) => port.postMessage(message);
const metrics = new ForwardingMetrics();
const flush = () => {
  const batch = metrics.flush();
  if (batch.length) send({ type: 'batch', batch });
};

try {
  const scenario = validateScenario(await importDefault(data.module, data.source, 'RUSHHOUR_ERR_SCENARIO_INVALID'), data.source);
  const iteration = iterationFor(scenario, data.context);
  const controller = new AbortController();
  const started = new Promise<number>((resolve) => {
    port.on('message', (message: ToWorker) => {
      if (message.type === 'start') resolve(message.epoch - performance.timeOrigin);
      if (message.type === 'stop') controller.abort('stopped');
    });
  });
  send({ type: 'ready' });
  const startAt = await started;
  const batches = setInterval(flush, 50);
  const result = await runPlan({
    target: data.target,
    plan: data.plan,
    metrics,
    iteration,
    signal: controller.signal,
    gracefulStopMs: data.gracefulStopMs,
    requestTimeoutMs: data.requestTimeoutMs,
    shard: data.shard,
    startAt,
    onSecond: (second) => {
      flush();
      send({ type: 'tick', second });
    },
  });
  clearInterval(batches);
  flush();
  send({ type: 'done', result });
} catch (error) {
  send({ type: 'failed', message: error instanceof Error ? error.message : String(error), code: (error as { code?: string }).code ?? null });
} finally {
  // The port's listener would keep this thread alive; the main thread waits for it to exit.
  port.close();
}
