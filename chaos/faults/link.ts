import { RushhourError } from '../../harness/index.ts';
import { linksOf } from '../../harness/stack-plan.ts';
import { injectWith, type ActiveFault, type FaultContext } from './fault.ts';

// Faults on dependency links, through the stack's fault proxy and its Toxiproxy API: a link
// goes down (the listener closes and every live connection with it), gets slower, or swallows
// data until a timeout. A target is a dependency (`redis`: every service's link to it) or one
// service's link (`booking.redis`: a partition between that service and that dependency).
// Toxics are named after the fault, so a revert removes exactly what this fault added.

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

function links(target: string): string[] {
  const found = linksOf(target);
  if (found.length === 0) throw new RushhourError('RUSHHOUR_ERR_FAULT_FAILED', `no link named ${target} (a dependency, or <service>.<dependency>)`);
  return found;
}

export async function linkDown(context: FaultContext, target: string): Promise<ActiveFault> {
  const api = context.topology.endpoints.faultProxy;
  const proxies = links(target);
  return injectWith(
    context,
    `${target}: link down`,
    proxies.map((link) => ({ kind: 'proxy-link' as const, api, link, toxics: [], enable: true })),
    async () => {
      for (const link of proxies) await call(api, 'POST', `/proxies/${link}`, { enabled: false });
    },
    async () => {
      for (const link of proxies) await call(api, 'POST', `/proxies/${link}`, { enabled: true });
    },
  );
}

type Toxic = { type: string; stream: 'upstream' | 'downstream'; attributes: Record<string, number> };

async function withToxics(context: FaultContext, target: string, label: string, toxics: Toxic[]): Promise<ActiveFault> {
  const api = context.topology.endpoints.faultProxy;
  const tag = Math.random().toString(36).slice(2, 8);
  const named = toxics.map((toxic) => ({ ...toxic, name: `rushhour-${toxic.type}-${toxic.stream}-${tag}` }));
  const proxies = links(target);
  return injectWith(
    context,
    label,
    proxies.map((link) => ({ kind: 'proxy-link' as const, api, link, toxics: named.map((t) => t.name), enable: false })),
    async () => {
      for (const link of proxies) for (const toxic of named) await call(api, 'POST', `/proxies/${link}/toxics`, { name: toxic.name, type: toxic.type, stream: toxic.stream, toxicity: 1, attributes: toxic.attributes });
    },
    async () => {
      for (const link of proxies) for (const toxic of named) await call(api, 'DELETE', `/proxies/${link}/toxics/${toxic.name}`);
    },
  );
}

/** Added latency on the answers (downstream), with optional jitter. */
export function linkLatency(context: FaultContext, link: string, latencyMs: number, jitterMs = 0): Promise<ActiveFault> {
  return withToxics(context, link, `${link}: +${latencyMs} ms${jitterMs ? ` ±${jitterMs}` : ''}`, [{ type: 'latency', stream: 'downstream', attributes: { latency: latencyMs, jitter: jitterMs } }]);
}

/** A bandwidth limit on both directions, in KB/s. */
export function linkBandwidth(context: FaultContext, link: string, rateKBps: number): Promise<ActiveFault> {
  return withToxics(context, link, `${link}: ${rateKBps} KB/s`, [
    { type: 'bandwidth', stream: 'upstream', attributes: { rate: rateKBps } },
    { type: 'bandwidth', stream: 'downstream', attributes: { rate: rateKBps } },
  ]);
}

/** Data stops flowing; the connection is closed after `timeoutMs` (0: held open until reverted). */
export function linkTimeout(context: FaultContext, link: string, timeoutMs: number): Promise<ActiveFault> {
  return withToxics(context, link, `${link}: black hole${timeoutMs ? `, closed after ${timeoutMs} ms` : ''}`, [{ type: 'timeout', stream: 'upstream', attributes: { timeout: timeoutMs } }]);
}

/**
 * A network partition as production meets one: packets silently dropped both ways until it
 * heals. Connections stay open and new ones are accepted, but nothing gets through, so only the
 * service's own timeouts end its waits; what was sent meanwhile is lost, never delivered late.
 */
export function linkPartition(context: FaultContext, link: string): Promise<ActiveFault> {
  return withToxics(context, link, `${link}: partitioned (packets dropped both ways)`, [
    { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } },
    { type: 'timeout', stream: 'downstream', attributes: { timeout: 0 } },
  ]);
}
