import path from 'node:path';
import { isHttpOk } from '../http.ts';
import { populateFaultProxy } from '../fault-proxy-client.ts';
import { projectRoot } from '../paths.ts';
import type { LocalComponent } from './component.ts';
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
export async function startFaultProxyComponent(ctx: LocalContext, apiPort: number, routes: readonly ProxyRoute[]): Promise<LocalComponent> {
  const api = `http://127.0.0.1:${apiPort}`;
  const component = startComponent(
    ctx,
    { name: 'fault-proxy', command: process.execPath, args: [path.join(projectRoot, 'bin', 'rushhour.mjs'), 'proxy', '--host', '127.0.0.1', '--port', String(apiPort)], cwd: projectRoot },
    { ready: { probe: () => isHttpOk(`${api}/version`), what: 'serving its API' } },
  );
  await component.waitReady(remainingMs(ctx), ctx.signal);
  await populateFaultProxy(api, routes.map((route) => ({ name: route.name, listen: `127.0.0.1:${route.listenPort}`, upstream: `127.0.0.1:${route.upstreamPort}` })));
  return component;
}
