import { ApiError } from './errors.ts';
import { Proxy, resolvedListen, type ByteCounters } from './proxy.ts';
import { decodeAttributes, parseNewToxic, type Toxic } from './toxic.ts';

const badBody = (detail: string) => new ApiError(400, `bad request body: ${detail}`);

interface ProxyInput {
  name: string;
  listen: string;
  upstream: string;
  enabled: boolean;
}

/** Lenient decoding, as Go's: unknown keys ignored, wrong types a 400. */
function decodeProxy(body: unknown, where = ''): ProxyInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('expected a JSON object');
  const input = body as Record<string, unknown>;
  for (const key of ['name', 'listen', 'upstream'] as const) if (input[key] !== undefined && typeof input[key] !== 'string') throw badBody(`${key} must be a string`);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw badBody('enabled must be a boolean');
  const name = (input.name as string | undefined) ?? '';
  const upstream = (input.upstream as string | undefined) ?? '';
  if (!name) throw new ApiError(400, `missing required field: name${where}`);
  if (!upstream) throw new ApiError(400, `missing required field: upstream${where}`);
  return { name, listen: (input.listen as string | undefined) ?? '', upstream, enabled: (input.enabled as boolean | undefined) ?? true };
}

/** Every proxy of the server, and the operations of the Toxiproxy API on them. */
export class ProxyCollection {
  readonly proxies = new Map<string, Proxy>();
  #counters: ByteCounters;

  constructor(counters: ByteCounters) {
    this.#counters = counters;
  }

  get(name: string): Proxy {
    const proxy = this.proxies.get(name);
    if (!proxy) throw new ApiError(404, 'proxy not found');
    return proxy;
  }

  list(): Record<string, Proxy> {
    return Object.fromEntries([...this.proxies.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }

  async #create(input: ProxyInput): Promise<Proxy> {
    const proxy = new Proxy(input, this.#counters);
    // Bind first: on failure nothing is stored.
    if (input.enabled) await proxy.start();
    this.proxies.set(input.name, proxy);
    return proxy;
  }

  async create(body: unknown): Promise<Proxy> {
    const input = decodeProxy(body);
    if (this.proxies.has(input.name)) throw new ApiError(409, 'proxy already exists');
    return this.#create(input);
  }

  /**
   * POST /populate: validate every entry first (nothing changes on a bad one), then apply in
   * order; a same-name proxy with the same listen and upstream is kept (connections and
   * toxics intact), any other is replaced. A failure part-way keeps what came before.
   */
  async populate(body: unknown): Promise<Proxy[]> {
    if (!Array.isArray(body)) throw new ApiError(400, 'bad request body: expected a JSON array of proxies', { proxies: null });
    let inputs: ProxyInput[];
    try {
      inputs = body.map((entry, i) => decodeProxy(entry, ` at proxy ${i + 1}`));
    } catch (error) {
      if (error instanceof ApiError) throw new ApiError(error.status, error.message, { proxies: null });
      throw error;
    }
    const done: Proxy[] = [];
    for (const input of inputs) {
      try {
        const existing = this.proxies.get(input.name);
        if (existing && sameListener(existing, input)) {
          done.push(existing);
          continue;
        }
        if (existing) {
          await existing.stop();
          this.proxies.delete(input.name);
        }
        done.push(await this.#create(input));
      } catch (error) {
        if (error instanceof ApiError) throw new ApiError(error.status, error.message, { proxies: done });
        throw error;
      }
    }
    return done;
  }

  /** PATCH (or POST) /proxies/{name}: absent fields keep their value; a changed address restarts the listener. */
  async update(name: string, body: unknown): Promise<Proxy> {
    const proxy = this.get(name);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('expected a JSON object');
    const input = body as Record<string, unknown>;
    for (const key of ['listen', 'upstream'] as const) if (input[key] !== undefined && typeof input[key] !== 'string') throw badBody(`${key} must be a string`);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean') throw badBody('enabled must be a boolean');
    const listen = (input.listen as string | undefined) || proxy.listen;
    const upstream = (input.upstream as string | undefined) || proxy.upstream;
    const enabled = (input.enabled as boolean | undefined) ?? proxy.enabled;
    // Port 0 never equals a bound port, so sending `localhost:0` again re-binds, as in Toxiproxy.
    const changed = resolvedListen(listen) !== resolvedListen(proxy.listen) || upstream !== proxy.upstream;
    if (changed) {
      await proxy.stop();
      proxy.listen = listen;
      proxy.upstream = upstream;
      if (enabled) await proxy.start();
    } else if (enabled && !proxy.enabled) {
      await proxy.start();
    } else if (!enabled && proxy.enabled) {
      await proxy.stop();
    }
    return proxy;
  }

  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    await proxy.stop();
    this.proxies.delete(name);
  }

  /** POST /reset: every proxy enabled again and stripped of its toxics; none deleted. */
  async reset(): Promise<void> {
    for (const proxy of this.proxies.values()) {
      if (!proxy.enabled) await proxy.start();
      proxy.toxics.upstream.length = 0;
      proxy.toxics.downstream.length = 0;
      proxy.toxicsChanged();
    }
  }

  addToxic(proxyName: string, body: unknown): Toxic {
    const proxy = this.get(proxyName);
    const toxic = parseNewToxic(body);
    if (proxy.findToxic(toxic.name)) throw new ApiError(409, 'toxic already exists');
    proxy.toxics[toxic.stream].push(toxic);
    proxy.toxicsChanged();
    return toxic;
  }

  getToxic(proxyName: string, toxicName: string): Toxic {
    const toxic = this.get(proxyName).findToxic(toxicName);
    if (!toxic) throw new ApiError(404, 'toxic not found');
    return toxic;
  }

  /** Only attributes and toxicity change; attributes decode over the current values. */
  updateToxic(proxyName: string, toxicName: string, body: unknown): Toxic {
    const proxy = this.get(proxyName);
    const toxic = this.getToxic(proxyName, toxicName);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badBody('expected a JSON object');
    const input = body as Record<string, unknown>;
    if (input.toxicity !== undefined && typeof input.toxicity !== 'number') throw badBody('toxicity must be a number');
    toxic.attributes = decodeAttributes(toxic.type, input.attributes, toxic.attributes);
    if (input.toxicity !== undefined) toxic.toxicity = input.toxicity as number;
    toxic.generation++;
    proxy.toxicsChanged();
    return toxic;
  }

  removeToxic(proxyName: string, toxicName: string): void {
    const proxy = this.get(proxyName);
    const toxic = this.getToxic(proxyName, toxicName);
    const list = proxy.toxics[toxic.stream];
    list.splice(list.indexOf(toxic), 1);
    proxy.toxicsChanged();
  }

  async close(): Promise<void> {
    await Promise.all([...this.proxies.values()].map((proxy) => proxy.stop()));
  }
}

function sameListener(proxy: Proxy, input: ProxyInput): boolean {
  try {
    return resolvedListen(input.listen) === resolvedListen(proxy.listen) && input.upstream === proxy.upstream;
  } catch {
    return false;
  }
}
