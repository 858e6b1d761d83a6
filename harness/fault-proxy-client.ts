import { RushhourError } from './errors.ts';

export interface ProxyLink {
  name: string;
  /** host:port the proxy listens on. */
  listen: string;
  /** host:port it forwards to. */
  upstream: string;
}

/**
 * Creates the stack's proxies in one POST /populate. Both providers call this, against our
 * own fault proxy or a real Toxiproxy: the harness drives either over the same HTTP API.
 */
export async function populateFaultProxy(apiUrl: string, links: readonly ProxyLink[]): Promise<void> {
  const response = await fetch(`${apiUrl}/populate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(links.map((link) => ({ ...link, enabled: true }))),
    signal: AbortSignal.timeout(5_000),
  });
  if (response.status !== 201) throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `fault proxy populate answered ${response.status}: ${await response.text()}`);
}
