// gateway: the single entry point. Routes /v1/routes/* and /v1/drivers/* to matching and
// /v1/bookings*, /v1/payments/* to booking over keep-alive pools, weighted per member
// (baseline / canary), around dead members, and draws per-endpoint feature flags. Weights and
// flags change at runtime on a separate admin port that requires the stack's bearer token.
import http from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { createApp, onShutdown, validate, type ReadyReport } from '../lib/app.ts';
import { common, flag, integer, readEnv } from '../lib/env.ts';
import { HttpError } from '../lib/errors.ts';
import { createLogger } from '../lib/log.ts';
import { createMetrics } from '../lib/metrics.ts';
import { Counter } from 'prom-client';
import { FLAG_HEADER, FlagTable } from './flags.ts';
import { probeHealth, startHealthChecks, UpstreamGroup, type Member } from './upstreams.ts';

const memberSchema = z.strictObject({ name: z.string().min(1), url: z.url(), weight: z.number().min(0).max(1_000), version: z.string().min(1) });
const env = readEnv({
  ...common,
  ADMIN_PORT: integer(0, 65_535),
  // Loopback unless the deployer says otherwise: in a container the admin port must listen on
  // the container's interface, and the container runtime publishes it to the host only.
  ADMIN_HOST: z.string().default('127.0.0.1'),
  ADMIN_TOKEN: z.string().min(16),
  UPSTREAMS: z
    .string()
    .transform((text) => JSON.parse(text) as unknown)
    .pipe(z.strictObject({ matching: z.array(memberSchema).min(1), booking: z.array(memberSchema).min(1) })),
  UPSTREAM_TIMEOUT_MS: integer(100, 600_000).default(10_000),
  HEALTH_INTERVAL_MS: integer(100, 60_000).default(1_000),
  // false is a deliberately weakened setting (chaos proves instance-crash can fail with it): a
  // refused connection is answered 503 at once and the member stays in rotation until the
  // active health checks take it out.
  RETRY_REFUSED: flag.default(true),
});

const log = createLogger({ service: env.SERVICE_NAME, instance: env.INSTANCE_NAME, version: env.VERSION });
const metrics = createMetrics(env.SERVICE_NAME, env.VERSION);
const flags = new FlagTable();
const flagRequests = new Counter({ name: 'feature_flag_requests_total', help: 'Requests under a feature-flag override, by flag and arm', labelNames: ['flag', 'arm', 'status_code'], registers: [metrics.registry] });
const groups = { matching: new UpstreamGroup('matching', env.UPSTREAMS.matching), booking: new UpstreamGroup('booking', env.UPSTREAMS.booking) };

/** Path templates for metric labels, so ids never become label values. */
const routeTable: { pattern: RegExp; template: string; group: keyof typeof groups }[] = [
  { pattern: /^\/v1\/routes\/search$/, template: '/v1/routes/search', group: 'matching' },
  { pattern: /^\/v1\/routes(\/.*)?$/, template: '/v1/routes/*', group: 'matching' },
  { pattern: /^\/v1\/drivers\/nearby$/, template: '/v1/drivers/nearby', group: 'matching' },
  { pattern: /^\/v1\/drivers(\/.*)?$/, template: '/v1/drivers/*', group: 'matching' },
  { pattern: /^\/v1\/bookings$/, template: '/v1/bookings', group: 'booking' },
  { pattern: /^\/v1\/bookings\/[^/]+$/, template: '/v1/bookings/:id', group: 'booking' },
  { pattern: /^\/v1\/bookings\/[^/]+\/cancel$/, template: '/v1/bookings/:id/cancel', group: 'booking' },
  { pattern: /^\/v1\/bookings(\/.*)?$/, template: '/v1/bookings/*', group: 'booking' },
  { pattern: /^\/v1\/payments(\/.*)?$/, template: '/v1/payments/*', group: 'booking' },
];

const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);

function errorBody(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * Proxies one request. The body is buffered (bounded at 16 KB, like the services) so a request
 * that could not reach a member — refused before a byte was sent — can be retried once on
 * another; a request that reached a member is never retried, as it may have had effects.
 */
async function proxy(req: http.IncomingMessage, res: http.ServerResponse, group: UpstreamGroup): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 16 * 1024) return errorBody(res, 400, 'BODY_TOO_LARGE', 'request bodies are limited to 16384 bytes');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers)) if (!hopByHop.has(name) && value !== undefined) headers[name] = value;
  headers['content-length'] = String(body.length);
  // The arm is the gateway's to draw: a client's own x-feature-flag never reaches a service.
  delete headers[FLAG_HEADER];
  const arm = res.getHeader(FLAG_HEADER);
  if (arm !== undefined) headers[FLAG_HEADER] = String(arm);

  let member = group.pick();
  for (let attempt = 0; attempt < (env.RETRY_REFUSED ? 2 : 1); attempt++) {
    if (!member) return errorBody(res, 503, 'NO_HEALTHY_UPSTREAM', `no healthy ${group.name} instance`, { 'Retry-After': '1' });
    const outcome = await forward(req, res, group, member, headers, body);
    if (outcome !== 'not-connected') return;
    if (!env.RETRY_REFUSED) break;
    group.markFailed(member, log, 'connection refused');
    member = group.pick(member);
  }
  errorBody(res, 503, 'NO_HEALTHY_UPSTREAM', `no ${group.name} instance accepted the connection`, { 'Retry-After': '1' });
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, group: UpstreamGroup, member: Member, headers: http.OutgoingHttpHeaders, body: Buffer): Promise<'done' | 'not-connected'> {
  return new Promise((resolve) => {
    const target = new URL(req.url ?? '/', member.url);
    const upstream = http.request(target, { method: req.method, headers, agent: group.agent, timeout: env.UPSTREAM_TIMEOUT_MS });
    upstream.on('response', (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) if (!hopByHop.has(name) && value !== undefined) out[name] = value;
      out['x-upstream'] = member.name;
      // The version that served the answer: how a load generator splits a canary's samples.
      out['x-upstream-version'] = member.version;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
      answer.once('end', () => resolve('done'));
      answer.once('error', () => {
        res.destroy();
        resolve('done');
      });
    });
    upstream.on('timeout', () => upstream.destroy(new Error('upstream timeout')));
    upstream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') return resolve('not-connected');
      if (error.message === 'upstream timeout') errorBody(res, 504, 'UPSTREAM_TIMEOUT', `${group.name} did not answer within ${env.UPSTREAM_TIMEOUT_MS} ms`);
      else errorBody(res, 502, 'UPSTREAM_ERROR', `${group.name} failed: ${error.code ?? error.message}`);
      resolve('done');
    });
    upstream.end(body);
  });
}

const publicServer = http.createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  if (path === '/health' || path === '/ready' || path === '/metrics') return internal.server.emit('request', req, res);
  const entry = routeTable.find((route) => route.pattern.test(path));
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const labels = { route: entry?.template ?? 'unmatched', method: req.method ?? 'GET', status_code: String(res.statusCode) };
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    metrics.httpTotal.inc(labels);
  });
  if (!entry) return errorBody(res, 404, 'NOT_FOUND', `no route for ${path}`);
  const flagged = flags.decide(entry.template);
  if (flagged) {
    // Set before any answer is written, so even the gateway's own errors say which arm they were.
    res.setHeader(FLAG_HEADER, `${flagged.flag}=${flagged.arm}`);
    res.once('finish', () => flagRequests.inc({ flag: flagged.flag, arm: flagged.arm, status_code: String(res.statusCode) }));
  }
  proxy(req, res, groups[entry.group]).catch((error: Error) => {
    log.error('proxy failed', { error: error.message });
    errorBody(res, 502, 'UPSTREAM_ERROR', 'proxy failed');
  });
});
publicServer.keepAliveTimeout = 65_000;
publicServer.headersTimeout = 66_000;

// /health, /ready and /metrics come from the shared app; it is never bound to a port itself.
const internal = createApp({
  metrics,
  log,
  ready: async (): Promise<ReadyReport> => {
    const checks = Object.fromEntries(Object.values(groups).map((group) => [group.name, group.members.some((member) => member.healthy)]));
    return { ready: Object.values(checks).every(Boolean), checks };
  },
});

// Admin: bearer token, loopback only.
const admin = createApp({ metrics, log, ready: async () => ({ ready: true, checks: {} }) });
const expectedToken = Buffer.from(`Bearer ${env.ADMIN_TOKEN}`);
const authorise = (header: string | undefined) => {
  const given = Buffer.from(header ?? '');
  if (given.length !== expectedToken.length || !timingSafeEqual(given, expectedToken)) throw new HttpError(401, 'UNAUTHORIZED', 'a valid bearer token is required');
};
admin.get('/admin/upstreams', async (request) => {
  authorise(request.headers.authorization);
  return { status: 200, body: { groups: Object.fromEntries(Object.values(groups).map((group) => [group.name, group.describe()])) } };
});
admin.put('/admin/upstreams/:group/weights', async (request) => {
  authorise(request.headers.authorization);
  const group = groups[request.params.group as keyof typeof groups];
  if (!group) throw new HttpError(404, 'UNKNOWN_GROUP', `no upstream group ${request.params.group}`);
  const { weights } = validate(z.strictObject({ weights: z.record(z.string(), z.number().min(0).max(1_000)) }), request.body);
  try {
    group.setWeights(weights);
  } catch (error) {
    throw new HttpError(400, 'INVALID_WEIGHTS', (error as Error).message);
  }
  log.info('weights changed', { group: group.name, weights });
  return { status: 200, body: { group: group.name, members: group.describe() } };
});

// A canary's candidate joins its group at runtime (weight 0 until the rollout sets one), and
// leaves it on rollback. It must answer /health first.
admin.put('/admin/upstreams/:group/members/:name', async (request) => {
  authorise(request.headers.authorization);
  const group = groups[request.params.group as keyof typeof groups];
  if (!group) throw new HttpError(404, 'UNKNOWN_GROUP', `no upstream group ${request.params.group}`);
  const spec = validate(z.strictObject({ url: z.url({ protocol: /^https?$/ }), version: z.string().min(1).max(64), weight: z.number().min(0).max(1_000).default(0) }), request.body);
  const name = request.params.name!;
  if (!(await probeHealth(spec.url, 2_000))) throw new HttpError(409, 'MEMBER_UNHEALTHY', `${name} at ${spec.url} did not answer /health`);
  group.upsertMember({ name, ...spec }, true);
  log.info('member added', { group: group.name, member: name, version: spec.version, weight: spec.weight });
  return { status: 200, body: { group: group.name, members: group.describe() } };
});
admin.delete('/admin/upstreams/:group/members/:name', async (request) => {
  authorise(request.headers.authorization);
  const group = groups[request.params.group as keyof typeof groups];
  if (!group) throw new HttpError(404, 'UNKNOWN_GROUP', `no upstream group ${request.params.group}`);
  try {
    group.removeMember(request.params.name!);
  } catch (error) {
    const message = (error as Error).message;
    throw message.startsWith('unknown member') ? new HttpError(404, 'UNKNOWN_MEMBER', message) : new HttpError(409, 'LAST_WEIGHTED_MEMBER', message);
  }
  log.info('member removed', { group: group.name, member: request.params.name });
  return { status: 200, body: { group: group.name, members: group.describe() } };
});

// Feature flags: per endpoint, a share of requests on (see flags.ts). No override: the service decides.
admin.get('/admin/flags', async (request) => {
  authorise(request.headers.authorization);
  return { status: 200, body: { flags: flags.list() } };
});
const knownFlag = (name: string) => {
  if (!flags.has(name)) throw new HttpError(404, 'UNKNOWN_FLAG', `no flag ${name} (flags: ${flags.list().map((f) => f.name).join(', ')})`);
  return name;
};
admin.put('/admin/flags/:name', async (request) => {
  authorise(request.headers.authorization);
  const name = knownFlag(request.params.name!);
  const { percent } = validate(z.strictObject({ percent: z.number().min(0).max(100) }), request.body);
  flags.set(name, percent);
  log.info('flag set', { flag: name, percent });
  return { status: 200, body: { flags: flags.list() } };
});
admin.delete('/admin/flags/:name', async (request) => {
  authorise(request.headers.authorization);
  const name = knownFlag(request.params.name!);
  flags.clear(name);
  log.info('flag override dropped', { flag: name });
  return { status: 200, body: { flags: flags.list() } };
});

await new Promise<void>((resolve) => publicServer.listen(env.PORT, env.HOST, resolve));
await admin.listen(env.ADMIN_PORT, env.ADMIN_HOST);
const stopChecks = startHealthChecks(Object.values(groups), log, env.HEALTH_INTERVAL_MS);
log.info('listening', { port: env.PORT, adminPort: env.ADMIN_PORT });
onShutdown(log, [publicServer, admin.server], async () => {
  stopChecks();
  for (const group of Object.values(groups)) group.agent.destroy();
});
