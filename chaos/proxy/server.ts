import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type net from 'node:net';
import { Counter, Registry } from 'prom-client';
import { ProxyCollection } from './collection.ts';
import { ApiError } from './errors.ts';
import type { ByteCounters, Proxy } from './proxy.ts';
import type { Stream } from './toxic.ts';

/** The Toxiproxy release whose API this server reproduces (reference/toxiproxy-api.md). */
export const TOXIPROXY_API_VERSION = '2.12.0';

export interface FaultProxyServer extends AsyncDisposable {
  /** Base URL of the API, e.g. http://127.0.0.1:8474 */
  readonly url: string;
  readonly port: number;
  readonly proxies: ProxyCollection;
  /** Closes the API and every proxy (listeners and connections). Idempotent. */
  close(): Promise<void>;
}

function byteCounters(registry: Registry): ByteCounters {
  const labelNames = ['direction', 'proxy', 'listener', 'upstream'] as const;
  const received = new Counter({ name: 'toxiproxy_proxy_received_bytes_total', help: 'Bytes read by the proxy, per direction', labelNames, registers: [registry] });
  const sent = new Counter({ name: 'toxiproxy_proxy_sent_bytes_total', help: 'Bytes written by the proxy, per direction', labelNames, registers: [registry] });
  return {
    add(proxy: Proxy, direction: Stream, r: number, s: number) {
      const labels = { direction, proxy: proxy.name, listener: proxy.listen, upstream: proxy.upstream };
      if (r) received.inc(labels, r);
      if (s) sent.inc(labels, s);
    },
  };
}

async function readJson(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1 << 20) throw new ApiError(400, 'bad request body: body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new ApiError(400, 'bad request body: EOF');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ApiError(400, `bad request body: ${(error as Error).message}`);
  }
}

/**
 * A drop-in Toxiproxy server: the same routes, verbs, status codes, error bodies and defaults
 * as Toxiproxy 2.12.0 (see docs/fault-proxy.md for the few deliberate differences).
 */
export async function startFaultProxy(options: { host?: string; port?: number; config?: unknown[] } = {}): Promise<FaultProxyServer> {
  const registry = new Registry();
  const proxies = new ProxyCollection(byteCounters(registry));
  if (options.config) await proxies.populate(options.config);

  const json = (res: http.ServerResponse, status: number, body: unknown, contentType = 'application/json') => {
    res.writeHead(status, { 'content-type': contentType });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  // Toxiproxy writes errors with Go's http.Error: a JSON body under a text/plain header.
  const fail = (res: http.ServerResponse, error: ApiError) => {
    if (error.extra) return json(res, error.status, { error: error.message, status: error.status, ...error.extra });
    res.writeHead(error.status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
    res.end(`${JSON.stringify({ error: error.message, status: error.status })}\n`);
  };

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const parts = new URL(req.url ?? '/', 'http://proxy.invalid').pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const allow = (...methods: string[]) => {
      if (!methods.includes(method)) throw new ApiError(405, 'method not allowed');
    };
    const [root, proxyName, sub, toxicName] = parts;
    if (parts.length === 1 && root === 'version') {
      allow('GET');
      res.writeHead(200, { 'content-type': 'application/json;charset=utf-8' });
      return void res.end(`{"version": "${TOXIPROXY_API_VERSION}"}\n`);
    }
    if (parts.length === 1 && root === 'metrics') {
      allow('GET');
      res.writeHead(200, { 'content-type': registry.contentType });
      return void res.end(await registry.metrics());
    }
    if (parts.length === 1 && root === 'reset') {
      allow('POST');
      await proxies.reset();
      return void json(res, 204, undefined);
    }
    if (parts.length === 1 && root === 'populate') {
      allow('POST');
      const body = await readJson(req).catch((error: ApiError) => {
        throw new ApiError(error.status, error.message, { proxies: null });
      });
      return json(res, 201, { proxies: await proxies.populate(body) });
    }
    if (root !== 'proxies') throw new ApiError(404, '404 page not found');
    if (parts.length === 1) {
      allow('GET', 'POST');
      if (method === 'GET') return json(res, 200, proxies.list());
      return json(res, 201, await proxies.create(await readJson(req)));
    }
    if (parts.length === 2) {
      allow('GET', 'POST', 'PATCH', 'DELETE');
      if (method === 'GET') return json(res, 200, proxies.get(proxyName!));
      if (method === 'DELETE') {
        await proxies.remove(proxyName!);
        return json(res, 204, undefined);
      }
      proxies.get(proxyName!);
      return json(res, 200, await proxies.update(proxyName!, await readJson(req)));
    }
    if (sub !== 'toxics') throw new ApiError(404, '404 page not found');
    if (parts.length === 3) {
      allow('GET', 'POST');
      if (method === 'GET') return json(res, 200, proxies.get(proxyName!).allToxics());
      proxies.get(proxyName!);
      return json(res, 200, proxies.addToxic(proxyName!, await readJson(req)));
    }
    if (parts.length === 4) {
      allow('GET', 'POST', 'PATCH', 'DELETE');
      if (method === 'GET') return json(res, 200, proxies.getToxic(proxyName!, toxicName!));
      if (method === 'DELETE') {
        proxies.removeToxic(proxyName!, toxicName!);
        return json(res, 204, undefined);
      }
      proxies.getToxic(proxyName!, toxicName!);
      return json(res, 200, proxies.updateToxic(proxyName!, toxicName!, await readJson(req)));
    }
    throw new ApiError(404, '404 page not found');
  }

  const server = http.createServer((req, res) => {
    res.setHeader('x-toxiproxy-request-id', randomUUID());
    // Toxiproxy refuses browsers, so a web page cannot drive it (CSRF).
    if ((req.headers['user-agent'] ?? '').startsWith('Mozilla/')) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8' });
      return void res.end('User agent not allowed');
    }
    route(req, res).catch((error: unknown) => {
      if (res.headersSent) return void res.destroy();
      if (error instanceof ApiError && error.status === 404 && error.message === '404 page not found') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        return void res.end('404 page not found\n');
      }
      if (error instanceof ApiError && error.status === 405) {
        res.writeHead(405);
        return void res.end();
      }
      fail(res, error instanceof ApiError ? error : new ApiError(500, (error as Error)?.message ?? String(error)));
    });
  });
  const host = options.host ?? 'localhost';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8474, host === 'localhost' ? '127.0.0.1' : host, () => resolve());
  });
  const address = server.address() as net.AddressInfo;
  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      await proxies.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    })();
    return closing;
  };
  return {
    url: `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`,
    port: address.port,
    proxies,
    close,
    [Symbol.asyncDispose]: close,
  };
}
