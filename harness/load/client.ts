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
  /** The header (lower case) naming what served each answer, read for canaries only: it costs a header scan. */
  readonly tagVersions: string | null;

  constructor(PoolClass: typeof Pool, base: string, metrics: MetricSink, options: { connections: number; timeoutMs: number; startedAt: number; tagVersions?: string }) {
    const url = new URL(base);
    this.#base = url.pathname.replace(/\/$/, '');
    // Timeouts are the pool's (headers and body), not an AbortSignal per request: a timer per
    // request was measured at 5.2k against 6.4k req/s without it (npm run bench:load).
    this.#pool = new PoolClass(url.origin, { connections: options.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: options.timeoutMs, bodyTimeout: options.timeoutMs, connectTimeout: options.timeoutMs });
    this.#metrics = metrics;
    this.#startedAt = options.startedAt;
    this.tagVersions = options.tagVersions?.toLowerCase() ?? null;
  }

  /** A client for one iteration: its first request is charged from `intendedStart`. */
  forIteration(intendedStart: number): HttpClient {
    return new IterationClient(this, intendedStart);
  }

  check(name: string, ok: boolean): boolean {
    this.#metrics.rate('checks', ok, { check: name });
    return ok;
  }

  /** Called by IterationClient; `from` is the instant latency is charged from. */
  send(endpoint: string, method: string, path: string, options: RequestOptions, from: number, actualStart: number): Promise<Response> {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    let headers = options.headers ?? NO_HEADERS;
    if (body !== undefined) headers = { 'content-type': 'application/json', ...headers };
    return new Promise((resolve) => {
      const exchange = new Exchange(this, endpoint, method, options.expect, from, actualStart, resolve);
      try {
        this.#pool.dispatch({ method: method as 'GET', path: this.#base + path, headers, body }, exchange as unknown as Parameters<Pool['dispatch']>[1]);
      } catch (cause) {
        // An invalid request (a bad header, a closed pool) is a failed request, not a crash.
        exchange.onError(cause as Error);
      }
    });
  }

  /** Records a finished exchange (answered or failed) and builds what the iteration sees. */
  settle(x: Exchange, error: string | null): Response {
    const done = performance.now();
    const status = error === null ? x.status : 0;
    const expected = x.expect ? x.expect.includes(status) : status >= 200 && status < 400;
    this.#metrics.request({
      endpoint: x.endpoint,
      method: x.method,
      status,
      failed: !expected,
      latencyMs: done - x.from,
      waitingMs: (error === null ? x.headersAt : done) - x.actualStart,
      second: Math.floor((done - this.#startedAt) / 1_000),
      startSecond: Math.floor((x.from - this.#startedAt) / 1_000),
      bytes: x.bytes,
      ...(x.version !== null ? { version: x.version } : {}),
    });
    return new Answer(status, error, error === null ? x.chunks : []);
  }

  async close(): Promise<void> {
    await this.#pool.close().catch(() => this.#pool.destroy());
  }
}

const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/**
 * The per-iteration view of the client. A class, not an object of closures: the hot path runs
 * under tsx, whose keepNames wraps every named closure in a defineProperty call, and that was
 * 7 % of the generator's CPU in a flat-out loop (profiled with --cpu-prof, session 4).
 */
class IterationClient implements HttpClient {
  #first = true;
  constructor(
    readonly client: LoadClient,
    readonly intendedStart: number,
  ) {}

  request(endpoint: string, method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const actualStart = performance.now();
    const from = this.#first ? Math.min(this.intendedStart, actualStart) : actualStart;
    this.#first = false;
    return this.client.send(endpoint, method, path, options, from, actualStart);
  }

  check(name: string, ok: boolean): boolean {
    return this.client.check(name, ok);
  }
}

/**
 * One request through undici's dispatch, with a handler object instead of a response stream
 * and a promise per body (`pool.request` costs about 5 % more). The body is kept as chunks and
 * decoded only if the iteration reads it: most requests of a load test are never read.
 */
class Exchange {
  status = 0;
  headersAt = 0;
  bytes = 0;
  version: string | null = null;
  readonly chunks: Buffer[] = [];

  constructor(
    readonly client: LoadClient,
    readonly endpoint: string,
    readonly method: string,
    readonly expect: readonly number[] | undefined,
    readonly from: number,
    readonly actualStart: number,
    readonly resolve: (response: Response) => void,
  ) {}

  onConnect(): void {}

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.status = statusCode;
    this.headersAt = performance.now();
    const wanted = this.client.tagVersions;
    if (wanted) {
      for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
        const name = rawHeaders[i]!;
        if (name.length === wanted.length && name.toString('latin1').toLowerCase() === wanted) {
          this.version = rawHeaders[i + 1]!.toString('latin1');
          break;
        }
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    this.resolve(this.client.settle(this, null));
  }

  onError(cause: Error): void {
    const e = cause as NodeJS.ErrnoException;
    const error = e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT' ? 'timeout' : (e.code ?? e.name ?? 'error');
    this.resolve(this.client.settle(this, error));
  }
}

class Answer implements Response {
  constructor(
    readonly status: number,
    readonly error: string | null,
    readonly chunks: Buffer[],
  ) {}

  json<T = any>(): T | undefined {
    try {
      return JSON.parse(this.chunks.length === 1 ? this.chunks[0]!.toString() : Buffer.concat(this.chunks).toString()) as T;
    } catch {
      return undefined;
    }
  }
}

