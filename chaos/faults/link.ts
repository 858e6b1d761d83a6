import { RushhourError } from '../../harness/index.ts';
import { injectWith, type ActiveFault, type FaultContext } from './fault.ts';

// Faults on a dependency link (postgres-primary, postgres-replica, redis), through the stack's
// fault proxy and its Toxiproxy API: the link goes down (the listener closes and every live
// connection with it), gets slower, or swallows data until a timeout. Toxics are named after
// the fault, so a revert removes exactly what this fault added.

async function call(api: string, method: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${api}${path}`, {
    method,
    headers: body === undefined ? undefined : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status >= 300 && !(method === 'DELETE' && response.status === 404)) {
    throw new RushhourError('RUSHHOUR_ERR_FAULT_FAILED', `fault proxy ${method} ${path} answered ${response.status}: ${await response.text()}`);
  }
}

export async function linkDown(context: FaultContext, link: string): Promise<ActiveFault> {
  const api = context.topology.endpoints.faultProxy;
  return injectWith(
    context,
    `${link}: link down`,
    [{ kind: 'proxy-link', api, link, toxics: [], enable: true }],
    () => call(api, 'POST', `/proxies/${link}`, { enabled: false }),
    () => call(api, 'POST', `/proxies/${link}`, { enabled: true }),
  );
}

async function withToxic(context: FaultContext, link: string, label: string, toxic: { type: string; stream: 'upstream' | 'downstream'; attributes: Record<string, number> }): Promise<ActiveFault> {
  const api = context.topology.endpoints.faultProxy;
  const name = `rushhour-${toxic.type}-${Math.random().toString(36).slice(2, 8)}`;
  return injectWith(
    context,
    label,
    [{ kind: 'proxy-link', api, link, toxics: [name], enable: false }],
    () => call(api, 'POST', `/proxies/${link}/toxics`, { name, type: toxic.type, stream: toxic.stream, toxicity: 1, attributes: toxic.attributes }),
    () => call(api, 'DELETE', `/proxies/${link}/toxics/${name}`),
  );
}

/** Added latency on the answers (downstream), with optional jitter. */
export function linkLatency(context: FaultContext, link: string, latencyMs: number, jitterMs = 0): Promise<ActiveFault> {
  return withToxic(context, link, `${link}: +${latencyMs} ms${jitterMs ? ` ±${jitterMs}` : ''}`, { type: 'latency', stream: 'downstream', attributes: { latency: latencyMs, jitter: jitterMs } });
}

/** Data stops flowing; the connection is closed after `timeoutMs` (0: held open until reverted). */
export function linkTimeout(context: FaultContext, link: string, timeoutMs: number): Promise<ActiveFault> {
  return withToxic(context, link, `${link}: black hole${timeoutMs ? `, closed after ${timeoutMs} ms` : ''}`, { type: 'timeout', stream: 'upstream', attributes: { timeout: timeoutMs } });
}
