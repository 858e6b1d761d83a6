import path from 'node:path';
import { isHttpOk } from '../http.ts';
import { projectRoot } from '../paths.ts';
import { waitUntilReady, type ProcessHandle } from '../process.ts';
import { remainingMs, startComponent, type LocalContext } from './context.ts';

export interface ProxyRoute {
  /** Proxy name in the Toxiproxy API: postgres-primary, postgres-replica, redis. */
  name: string;
  listenPort: number;
  upstreamPort: number;
}

/**
 * The fault proxy as a component: `rushhour proxy` in its own process (started as a command,
 * never imported: the harness drives it over its Toxiproxy API like any other client), then
 * populated with one proxy per dependency the services reach through it.
 */
export async function startFaultProxyComponent(ctx: LocalContext, apiPort: number, routes: readonly ProxyRoute[]): Promise<ProcessHandle> {
  const handle = startComponent(ctx, {
    name: 'fault-proxy',
    command: process.execPath,
    args: [path.join(projectRoot, 'bin', 'rushhour.mjs'), 'proxy', '--host', '127.0.0.1', '--port', String(apiPort)],
    cwd: projectRoot,
  });
  const api = `http://127.0.0.1:${apiPort}`;
  await waitUntilReady(handle, () => isHttpOk(`${api}/version`), { timeoutMs: remainingMs(ctx), signal: ctx.signal, what: 'serving its API' });
  const response = await fetch(`${api}/populate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(routes.map((route) => ({ name: route.name, listen: `127.0.0.1:${route.listenPort}`, upstream: `127.0.0.1:${route.upstreamPort}`, enabled: true }))),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status !== 201) throw new Error(`fault proxy populate answered ${response.status}: ${await response.text()}`);
  return handle;
}
