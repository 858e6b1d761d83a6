import http from 'node:http';
import type { z } from 'zod';
import { classify, HttpError } from './errors.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

export const MAX_BODY_BYTES = 16 * 1024;

export interface Request {
  method: string;
  url: URL;
  params: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** The raw body (webhook signatures are computed over these exact bytes). */
  rawBody: Buffer;
  /** The body parsed as JSON; undefined when there is none. */
  body: unknown;
}

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (request: Request) => Promise<Reply>;

interface Route {
  method: string;
  template: string;
  segments: string[];
  handler: Handler;
}

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, boolean>;
}

/** Parses `input` with a schema; every problem becomes one 400 naming the fields. */
export function validate<S extends z.ZodType>(schema: S, input: unknown, code = 'INVALID_REQUEST'): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const at = issue.path.join('.') || (issue.code === 'unrecognized_keys' ? '' : 'body');
    const what = issue.code === 'unrecognized_keys' ? `unknown field(s) ${issue.keys.join(', ')}` : issue.message;
    return at ? `${at}: ${what}` : what;
  });
  throw new HttpError(400, code, problems.join('; '));
}

/** Query string as a plain object; a repeated parameter is an error, not a silent pick. */
export function queryObject(url: URL): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of url.searchParams) {
    if (key in out) throw new HttpError(400, 'INVALID_REQUEST', `${key}: given more than once`);
    out[key] = value;
  }
  return out;
}

/**
 * A small router on node:http. Each service declares its routes; /health, /ready and
 * /metrics are built in. Route templates (not raw paths) label the metrics, so ids in
 * paths never explode the series count.
 */
export function createApp(options: { metrics: Metrics; log: Logger; ready: () => Promise<ReadyReport>; beforeScrape?: () => void }) {
  const routes: Route[] = [];
  const { metrics, log } = options;

  const add = (method: string, template: string, handler: Handler) => {
    routes.push({ method, template, segments: template.split('/').filter(Boolean), handler });
  };

  function match(method: string, path: string): { route: Route; params: Record<string, string> } | 'wrong-method' | null {
    const parts = path.split('/').filter(Boolean);
    let pathMatched = false;
    for (const route of routes) {
      if (route.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = route.segments.every((segment, i) => {
        if (segment.startsWith(':')) {
          params[segment.slice(1)] = decodeURIComponent(parts[i]!);
          return true;
        }
        return segment === parts[i];
      });
      if (!ok) continue;
      if (route.method === method) return { route, params };
      pathMatched = true;
    }
    return pathMatched ? 'wrong-method' : null;
  }

  async function readBody(req: http.IncomingMessage): Promise<Buffer> {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY_BYTES) throw new HttpError(400, 'BODY_TOO_LARGE', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpError(400, 'BODY_TOO_LARGE', `request bodies are limited to ${MAX_BODY_BYTES} bytes`);
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks);
  }

  function send(res: http.ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | undefined;
    if (reply.body !== undefined) {
      payload = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  const errorReply = (error: HttpError): Reply => ({ status: error.status, headers: error.headers, body: { error: { code: error.code, message: error.message } } });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<string> {
    const url = new URL(req.url ?? '/', 'http://service.invalid');
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health') {
      send(res, { status: 200, body: { status: 'ok' } });
      return '/health';
    }
    if (method === 'GET' && url.pathname === '/ready') {
      const report = await options.ready();
      send(res, { status: report.ready ? 200 : 503, body: report });
      return '/ready';
    }
    if (method === 'GET' && url.pathname === '/metrics') {
      options.beforeScrape?.();
      send(res, { status: 200, body: await metrics.registry.metrics(), headers: { 'content-type': metrics.registry.contentType } });
      return '/metrics';
    }
    const found = match(method, url.pathname);
    if (found === null) {
      send(res, errorReply(new HttpError(404, 'NOT_FOUND', `no route for ${url.pathname}`)));
      return 'unmatched';
    }
    if (found === 'wrong-method') {
      send(res, errorReply(new HttpError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`)));
      return 'unmatched';
    }
    const { route, params } = found;
    try {
      const rawBody = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req);
      let body: unknown;
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString('utf8'));
        } catch {
          throw new HttpError(400, 'MALFORMED_JSON', 'the request body is not valid JSON');
        }
      }
      send(res, await route.handler({ method, url, params, headers: req.headers, rawBody, body }));
    } catch (error) {
      const httpError = classify(error);
      if (httpError.status >= 500) log.error('request failed', { route: route.template, code: httpError.code, error: (error as Error)?.message });
      send(res, errorReply(httpError));
    }
    return route.template;
  }

  const server = http.createServer((req, res) => {
    const started = process.hrtime.bigint();
    let routeLabel = 'unmatched';
    res.once('finish', () => {
      const labels = { route: routeLabel, method: req.method ?? 'GET', status_code: String(res.statusCode) };
      metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      metrics.httpTotal.inc(labels);
    });
    handle(req, res).then(
      (label) => {
        routeLabel = label;
      },
      (error: unknown) => {
        log.error('unhandled request error', { error: (error as Error)?.message });
        if (!res.headersSent) send(res, errorReply(new HttpError(500, 'INTERNAL', 'internal error')));
        else res.destroy();
      },
    );
  });
  // Longer than any upstream keep-alive client's idle time, so a reused socket is never
  // closed under a request in flight.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  return {
    server,
    get: (template: string, handler: Handler) => add('GET', template, handler),
    post: (template: string, handler: Handler) => add('POST', template, handler),
    put: (template: string, handler: Handler) => add('PUT', template, handler),
    delete: (template: string, handler: Handler) => add('DELETE', template, handler),
    listen: (port: number, host = '127.0.0.1') => new Promise<void>((resolve) => server.listen(port, host, resolve)),
  };
}

/**
 * Exits cleanly on SIGTERM/SIGINT: stop accepting, let in-flight requests finish (bounded),
 * then close pools. The harness waits for this before it escalates to SIGKILL.
 */
export function onShutdown(log: Logger, servers: http.Server[], cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    const force = setTimeout(() => process.exit(0), 3_000);
    force.unref();
    for (const server of servers) {
      server.close();
      server.closeIdleConnections();
    }
    cleanup().finally(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
