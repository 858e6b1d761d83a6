import type { Pool } from 'undici';
import type { MetricSink } from './forwarding-metrics.ts';

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Statuses that count as expected (k6's expected_response); default 200–399. */
  expect?: readonly number[];
}

export interface Response {
  status: number;
  /** 0 and an error code when no HTTP answer came (refused, reset, timeout). */
  error: string | null;
  json<T = any>(): T | undefined;
}

/** What one VU uses to talk to the target: keep-alive connections, metrics recorded per request. */
export interface HttpClient {
  request(endpoint: string, method: string, path: string, options?: RequestOptions): Promise<Response>;
  check(name: string, ok: boolean): boolean;
}

/**
 * The load generator's HTTP side on undici's keep-alive pool. Latency is recorded from the
 * *intended* send time of the iteration's first request (wrk2's coordinated-omission rule:
 * time a request waited behind the generator or a stalled server is charged to it), and from
 * the actual send for the requests that follow it in a journey.
 */
export class LoadClient {
  readonly #pool: Pool;
  readonly #base: string;
  readonly #metrics: MetricSink;
  readonly #startedAt: number;

  constructor(PoolClass: typeof Pool, base: string, metrics: MetricSink, options: { connections: number; timeoutMs: number; startedAt: number }) {
    const url = new URL(base);
    this.#base = url.pathname.replace(/\/$/, '');
    // Timeouts are the pool's (headers and body), not an AbortSignal per request: a timer per
    // request was measured at 5.2k against 6.4k req/s without it (npm run bench:load).
    this.#pool = new PoolClass(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connectTimeout: options.timeoutMs });
    this.#metrics = metrics;
    this.#startedAt = options.startedAt;
  }

  /** A client for one iteration: its first request is charged from `intendedStart`. */
  forIteration(intendedStart: number): HttpClient {
    let first = true;
    return {
      request: async (endpoint, method, path, options = {}) => {
        const actualStart = performance.now();
        const from = first ? Math.min(intendedStart, actualStart) : actualStart;
        first = false;
        return this.#send(endpoint, method, path, options, from, actualStart);
      },
      check: (name, ok) => {
        this.#metrics.rate('checks', ok, { check: name });
        return ok;
      },
    };
  }

  async #send(endpoint: string, method: string, path: string, options: RequestOptions, from: number, actualStart: number): Promise<Response> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
    let status = 0;
    let error: string | null = null;
    let text = '';
    let headersAt = actualStart;
    try {
      ({ status, text, headersAt } = await this.#exchange(method, `${this.#base}${path}`, headers, body));
    } catch (cause) {
      const e = cause as NodeJS.ErrnoException;
      error = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : (e.code ?? e.name ?? 'error');
      headersAt = performance.now();
    }
    const done = performance.now();
    const expected = options.expect ? options.expect.includes(status) : status >= 200 && status < 400;
    this.#metrics.request({
      endpoint,
      method,
      status,
      failed: !expected,
      latencyMs: done - from,
      waitingMs: headersAt - actualStart,
      second: Math.floor((done - this.#startedAt) / 1_000),
      startSecond: Math.floor((from - this.#startedAt) / 1_000),
      bytes: Buffer.byteLength(text),
    });
    return {
      status,
      error,
      json: <T>() => {
        try {
          return JSON.parse(text) as T;
        } catch {
          return undefined;
        }
      },
    };
  }

  /**
   * One request through undici's dispatch with a plain handler: no response stream and no
   * promise per body, which `pool.request` costs (about 5 % more requests/s in a flat-out
   * closed-model loop against a trivial server, measured beside it in session 3). The body is
   * collected as chunks and decoded once.
   */
  #exchange(method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; text: string; headersAt: number }> {
    return new Promise((resolve, reject) => {
      let status = 0;
      let headersAt = 0;
      const chunks: Buffer[] = [];
      this.#pool.dispatch(
        { method: method as 'GET', path, headers, body },
        {
          onConnect: () => {},
          onHeaders: (statusCode: number) => {
            status = statusCode;
            headersAt = performance.now();
            return true;
          },
          onData: (chunk: Buffer) => {
            chunks.push(chunk);
            return true;
          },
          onComplete: () => resolve({ status, text: chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString(), headersAt }),
          onError: reject,
        } as unknown as Parameters<Pool['dispatch']>[1],
      );
    });
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => this.#pool.destroy());
  }
}
