import net from 'node:net';
import { ApiError } from './errors.ts';
import { Link, type ConnectionControl } from './link.ts';
import type { Stream, Toxic } from './toxic.ts';

export interface ByteCounters {
  add(proxy: Proxy, direction: Stream, received: number, sent: number): void;
}

/** `host:port`, IPv6 in brackets. `localhost` binds 127.0.0.1, as Toxiproxy's resolver does. */
export function parseAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (!match) throw new ApiError(500, `address ${address}: missing port in address`);
  const host = match[1] ?? match[2] ?? '';
  return { host: host === 'localhost' ? '127.0.0.1' : host === '' ? '0.0.0.0' : host, port: Number(match[3]) };
}

const formatAddress = (host: string, port: number) => (host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`);

/** The address `listen` resolves to, for "is this the same listener?" comparisons. */
export function resolvedListen(listen: string): string {
  const { host, port } = parseAddress(listen);
  return formatAddress(host, port);
}

class Connection implements ConnectionControl {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  readonly links: Link[] = [];
  #closed = false;
  #onGone: () => void;

  constructor(client: net.Socket, upstream: net.Socket, onGone: () => void) {
    this.client = client;
    this.upstream = upstream;
    this.#onGone = onGone;
    let open = 2;
    const gone = () => {
      if (--open === 0) {
        this.#closed = true;
        for (const link of this.links) link.dispose();
        this.#onGone();
      }
    };
    client.once('close', gone);
    upstream.once('close', gone);
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.client.destroy();
    this.upstream.destroy();
  }

  reset(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.client.resetAndDestroy();
    this.upstream.resetAndDestroy();
  }
}

/** One named proxy: a listener, the connections it accepted, and its toxics per stream. */
export class Proxy {
  readonly name: string;
  listen: string;
  upstream: string;
  enabled = false;
  readonly toxics: Record<Stream, Toxic[]> = { upstream: [], downstream: [] };
  #server: net.Server | null = null;
  #connections = new Set<Connection>();
  #counters: ByteCounters;

  constructor(init: { name: string; listen: string; upstream: string }, counters: ByteCounters) {
    this.name = init.name;
    this.listen = init.listen;
    this.upstream = init.upstream;
    this.#counters = counters;
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  allToxics(): Toxic[] {
    return [...this.toxics.upstream, ...this.toxics.downstream];
  }

  findToxic(name: string): Toxic | undefined {
    return this.allToxics().find((toxic) => toxic.name === name);
  }

  /** Opens the listener; `listen` becomes the bound address (port 0 → the port chosen). */
  async start(): Promise<void> {
    if (this.#server) return;
    const { host, port } = parseAddress(this.listen);
    const server = net.createServer((client) => this.#accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const what = error.code === 'EADDRINUSE' ? 'address already in use' : error.code === 'EACCES' ? 'permission denied' : error.code === 'EADDRNOTAVAIL' ? 'cannot assign requested address' : error.message;
        reject(new ApiError(500, `listen tcp ${formatAddress(host, port)}: bind: ${what}`));
      });
      server.listen(port, host, () => resolve());
    });
    server.on('error', () => {});
    const address = server.address() as net.AddressInfo;
    this.listen = formatAddress(address.address, address.port);
    this.#server = server;
    this.enabled = true;
  }

  /** Closes the listener and every live connection ("down"). Toxics stay. */
  async stop(): Promise<void> {
    this.enabled = false;
    const server = this.#server;
    this.#server = null;
    for (const connection of this.#connections) connection.close();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** Toxics changed: every live link brings its stages up to date at once. */
  toxicsChanged(): void {
    for (const connection of this.#connections) for (const link of connection.links) link.syncStages();
  }

  #accept(client: net.Socket): void {
    client.on('error', () => {});
    client.setNoDelay(true);
    const { host, port } = parseAddress(this.upstream);
    const upstream = net.connect({ host: host === '0.0.0.0' ? '127.0.0.1' : host, port });
    upstream.on('error', () => {});
    upstream.setNoDelay(true);
    // Reads wait until the upstream is connected; a failed dial closes the client at once
    // (it sees a successful connect, then EOF: Toxiproxy never answers "refused").
    client.pause();
    upstream.once('error', () => client.destroy());
    upstream.once('connect', () => {
      if (!this.#server || client.destroyed) {
        upstream.destroy();
        client.destroy();
        return;
      }
      const connection = new Connection(client, upstream, () => this.#connections.delete(connection));
      this.#connections.add(connection);
      const count = (direction: Stream) => (received: number, sent: number) => this.#counters.add(this, direction, received, sent);
      connection.links.push(
        new Link({ direction: 'upstream', source: client, dest: upstream, toxics: () => this.toxics.upstream, conn: connection, onBytes: count('upstream') }),
        new Link({ direction: 'downstream', source: upstream, dest: client, toxics: () => this.toxics.downstream, conn: connection, onBytes: count('downstream') }),
      );
      client.resume();
    });
  }

  toJSON() {
    return { name: this.name, listen: this.listen, upstream: this.upstream, enabled: this.enabled, toxics: this.allToxics() };
  }
}
