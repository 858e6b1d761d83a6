import type autocannon from 'autocannon';
import type { MetricRegistry } from '../metrics/registry.ts';
import type { EngineResult } from './engine.ts';
import type { Plan } from './executors.ts';

/** One request an autocannon connection sends; each connection walks the list in order, then loops. */
export interface RequestTemplate {
  endpoint: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Statuses that count as expected; default 200–399. */
  expect?: readonly number[];
}

export interface AutocannonRun {
  target: string;
  plan: Extract<Plan, { model: 'closed' }>;
  requests: readonly RequestTemplate[];
  metrics: MetricRegistry;
  signal: AbortSignal;
  timeoutMs?: number;
  onSecond?: (second: number) => void;
}

/** What a connection remembers between autocannon's per-request callback and its response event. */
interface ConnectionContext {
  endpoint?: string;
  expect?: readonly number[];
  method?: string;
}

/**
 * autocannon's options for a run. Its coordinated-omission "correction" must never run: it
 * back-fills samples at 1/rate with a per-connection rate (see the reference), so its corrected
 * percentiles are wrong. It runs only when a rate is set (`connectionRate`/`overallRate`), and
 * autocannon refuses `ignoreCoordinatedOmission: true` without one, so the guarantee here is
 * that no rate is ever passed: a closed model, flat out, latency from the actual send, and the
 * record says the driver was autocannon. (Answers are recorded by us in any case, from the
 * 'response' event, never from autocannon's histogram.)
 */
export function autocannonOptions(run: Pick<AutocannonRun, 'target' | 'plan' | 'requests' | 'timeoutMs'>): autocannon.Options {
  const base = new URL(run.target);
  const prefix = base.pathname.replace(/\/$/, '');
  return {
    url: base.origin,
    connections: run.plan.maxVUs,
    duration: Math.max(1, Math.round(run.plan.durationMs / 1_000)),
    pipelining: 1,
    timeout: Math.ceil((run.timeoutMs ?? 10_000) / 1_000),
    // Every answer is counted by us; autocannon's own stats would drop the non-2xx latencies.
    excludeErrorStats: false,
    requests: run.requests.map((template) => ({
      method: template.method,
      path: `${prefix}${template.path}`,
      ...(template.body === undefined ? {} : { body: JSON.stringify(template.body) }),
      headers: { ...(template.body === undefined ? {} : { 'content-type': 'application/json' }), ...template.headers },
      // Runs just before the connection's 'response' event for the same answer: it tags it.
      onResponse: (_status: number, _body: string, context: object) => {
        Object.assign(context, { endpoint: template.endpoint, expect: template.expect, method: template.method } satisfies ConnectionContext);
      },
    })),
  };
}

/**
 * Runs a closed-model plan (constant VUs = connections) with autocannon, for maximum
 * throughput: each answer is recorded into the same registry the rushhour driver fills, with
 * autocannon's measured response time (from the actual send: a closed model has no intended
 * time). Errors without an answer (refused, reset, timeout) count as failed requests.
 */
export async function runAutocannon(run: AutocannonRun): Promise<EngineResult> {
  if (run.plan.type !== 'constant-vus') throw new Error('autocannon runs a constant number of connections (constant-vus)');
  // Loaded here: a scenario file that imports the harness must not load a second copy (module-loader.ts).
  const { default: start } = await import('autocannon');
  const { metrics } = run;
  const startedAt = performance.now();
  let iterations = 0;
  let second = 0;
  const ticker = setInterval(() => {
    const now = Math.floor((performance.now() - startedAt) / 1_000);
    // Not `onSecond?.(++second)`: an optional call skips evaluating its arguments.
    while (second < now) {
      second++;
      run.onSecond?.(second);
    }
  }, 200);
  metrics.gauge('vus', run.plan.maxVUs);
  metrics.gauge('vus_max', run.plan.maxVUs);
  metrics.count('dropped_iterations', 0);
  // With a callback autocannon returns its instance (an event emitter) instead of a promise.
  let finished!: (error: Error | null) => void;
  const done = new Promise<void>((resolve, reject) => (finished = (error) => (error ? reject(error) : resolve())));
  const instance = start(autocannonOptions(run), (error) => finished(error ?? null));
  instance.on('response', (client: unknown, status: number, bytes: number, responseTime: number) => {
    const context = ((client as { requestIterator?: { context?: ConnectionContext } }).requestIterator?.context ?? {}) as ConnectionContext;
    const now = performance.now();
    const failed = context.expect ? !context.expect.includes(status) : status < 200 || status >= 400;
    iterations++;
    metrics.count('iterations');
    metrics.request({
      endpoint: context.endpoint ?? 'unknown',
      method: context.method ?? 'GET',
      status,
      failed,
      latencyMs: responseTime,
      waitingMs: responseTime,
      second: Math.floor((now - startedAt) / 1_000),
      startSecond: Math.floor((now - responseTime - startedAt) / 1_000),
      bytes,
    });
  });
  instance.on('reqError', () => {
    iterations++;
    metrics.count('iterations');
    metrics.rate('http_req_failed', true, { endpoint: 'no answer' });
    metrics.count('http_reqs', 1, { endpoint: 'no answer' });
  });
  const stop = () => instance.stop();
  run.signal.addEventListener('abort', stop, { once: true });
  try {
    await done;
  } finally {
    run.signal.removeEventListener('abort', stop);
    clearInterval(ticker);
  }
  const durationMs = performance.now() - startedAt;
  while (second < Math.floor(durationMs / 1_000)) {
    second++;
    run.onSecond?.(second);
  }
  return { startedAt, durationMs, iterations, dropped: 0, iterationErrors: 0, maxVUsUsed: run.plan.maxVUs, aborted: run.signal.aborted };
}
