import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startFaultProxy, type FaultProxyServer } from '../chaos/proxy/index.ts';
import { collect, connect, echoServer, median, roundTrip, tcpServer, type TcpServer } from './support/tcp.ts';

let proxy: FaultProxyServer;
let echo: TcpServer;

beforeAll(async () => {
  proxy = await startFaultProxy({ host: '127.0.0.1', port: 0 });
  echo = await echoServer();
});
afterAll(async () => {
  await proxy.close();
  await echo.close();
});
beforeEach(async () => {
  for (const name of [...proxy.proxies.proxies.keys()]) await proxy.proxies.remove(name);
});

const api = async (method: string, path: string, body?: unknown) => {
  const response = await fetch(`${proxy.url}${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
};
/** A proxy in front of `upstreamPort`; returns its listening port. */
const through = async (name: string, upstreamPort: number) => Number((await api('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` })).listen.split(':')[1]);
const toxic = (proxyName: string, body: unknown) => api('POST', `/proxies/${proxyName}/toxics`, body);

describe('with no toxics', () => {
  test('nothing is lost or reordered: checksums of 10 MB over 50 concurrent connections', async () => {
    const port = await through('clean', echo.port);
    const perConnection = 200_000;
    const results = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const socket = await connect(port);
        const payload = randomBytes(perConnection);
        const received: Buffer[] = [];
        let size = 0;
        await new Promise<void>((resolve) => {
          socket.on('data', (chunk: Buffer) => {
            received.push(chunk);
            size += chunk.length;
            if (size >= perConnection) resolve();
          });
          // Written in uneven pieces, as a real client would.
          for (let offset = 0; offset < perConnection; offset += 7_919) socket.write(payload.subarray(offset, offset + 7_919));
        });
        socket.destroy();
        const hash = (b: Buffer) => createHash('sha256').update(b).digest('hex');
        return hash(Buffer.concat(received)) === hash(payload) && size === perConnection;
      }),
    );
    expect(results.filter(Boolean)).toHaveLength(50);
  });

  test('a failed dial closes the client at once: a connect, then EOF, never "refused"', async () => {
    const closed = await tcpServer(() => {});
    const deadPort = closed.port;
    await closed.close();
    const port = await through('dead', deadPort);
    const socket = await connect(port);
    const result = await collect(socket);
    expect(result.data.length).toBe(0);
  });

  test('byte counters per proxy and direction on /metrics', async () => {
    const port = await through('counted', echo.port);
    const socket = await connect(port);
    await roundTrip(socket, Buffer.alloc(1000, 1));
    socket.destroy();
    const metrics = await (await fetch(`${proxy.url}/metrics`)).text();
    expect(metrics).toMatch(/toxiproxy_proxy_received_bytes_total\{direction="upstream",proxy="counted",[^}]*\} 1000$/m);
    expect(metrics).toMatch(/toxiproxy_proxy_sent_bytes_total\{direction="downstream",proxy="counted",[^}]*\} 1000$/m);
  });
});

// These measure time to the millisecond on a 2-core VM whose other tests' stacks run beside them
// (and whose hypervisor once took 43 % of its CPU mid-suite): a measurement a neighbour disturbed
// is taken again, at most twice. A consistent error still fails; the test summary names any test
// that passed only on a retry.
describe('toxics, measured on loopback', { retry: 2 }, () => {
  test('latency adds the configured delay within ±2 ms', async () => {
    const port = await through('slow', echo.port);
    const socket = await connect(port);
    const base: number[] = [];
    for (let i = 0; i < 15; i++) base.push(await roundTrip(socket));
    await toxic('slow', { type: 'latency', attributes: { latency: 40 } });
    const slowed: number[] = [];
    for (let i = 0; i < 15; i++) slowed.push(await roundTrip(socket));
    socket.destroy();
    // The toxic was added to a live connection: it applies without reconnecting.
    expect(Math.abs(median(slowed) - median(base) - 40)).toBeLessThanOrEqual(2);
  });

  test('latency on both streams adds up; toxicity 0 never applies', async () => {
    const port = await through('both', echo.port);
    await toxic('both', { type: 'latency', stream: 'upstream', attributes: { latency: 20 } });
    await toxic('both', { type: 'latency', stream: 'downstream', attributes: { latency: 20 } });
    await toxic('both', { type: 'latency', name: 'never', attributes: { latency: 500 }, toxicity: 0 });
    const socket = await connect(port);
    const samples: number[] = [];
    for (let i = 0; i < 9; i++) samples.push(await roundTrip(socket));
    socket.destroy();
    expect(median(samples)).toBeGreaterThanOrEqual(39);
    expect(median(samples)).toBeLessThan(60);
  });

  test('bandwidth holds the rate within 10 %', async () => {
    const total = 1_500_000;
    const source = await tcpServer((socket) => socket.end(randomBytes(total)));
    const port = await through('narrow', source.port);
    await toxic('narrow', { type: 'bandwidth', attributes: { rate: 1000 } });
    const started = performance.now();
    const result = await collect(await connect(port));
    const seconds = (result.closedAt - started) / 1000;
    await source.close();
    expect(result.data.length).toBe(total);
    // 1,500,000 bytes at 1000 KB/s (1 KB = 1000 B) = 1.5 s.
    const rateKBps = total / 1000 / seconds;
    expect(Math.abs(rateKBps - 1000) / 1000).toBeLessThanOrEqual(0.1);
  });

  test('timeout swallows data and closes after the silence; removing timeout 0 closes at once', async () => {
    const port = await through('hang', echo.port);
    await toxic('hang', { type: 'timeout', attributes: { timeout: 200 } });
    const socket = await connect(port);
    const started = performance.now();
    const result = collect(socket);
    socket.write('hello');
    const { data, closedAt } = await result;
    expect(data.length).toBe(0);
    expect(closedAt - started).toBeGreaterThanOrEqual(190);
    expect(closedAt - started).toBeLessThan(600);

    await api('DELETE', '/proxies/hang/toxics/timeout_downstream');
    await toxic('hang', { type: 'timeout', attributes: { timeout: 0 } });
    const silent = await connect(port);
    const silentResult = collect(silent);
    silent.write('anyone?');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const removedAt = performance.now();
    await api('DELETE', '/proxies/hang/toxics/timeout_downstream');
    const silentEnd = await silentResult;
    expect(silentEnd.data.length).toBe(0);
    expect(silentEnd.closedAt - removedAt).toBeLessThan(100);
  });

  test('reset_peer resets the connection after its timeout', async () => {
    const port = await through('rst', echo.port);
    await toxic('rst', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 100 } });
    const socket = await connect(port);
    const started = performance.now();
    const result = collect(socket);
    socket.write('hello');
    const { data, error, closedAt } = await result;
    expect(data.length).toBe(0);
    expect(error).toBe('ECONNRESET');
    expect(closedAt - started).toBeGreaterThanOrEqual(95);
  });

  test('limit_data passes exactly that many bytes, then closes', async () => {
    const source = await tcpServer((socket) => socket.write(Buffer.alloc(5_000, 7)));
    const port = await through('limited', source.port);
    await toxic('limited', { type: 'limit_data', attributes: { bytes: 1_000 } });
    const result = await collect(await connect(port));
    await source.close();
    expect(result.data.length).toBe(1_000);
  });

  test('slow_close delivers the data at once but delays the close', async () => {
    const source = await tcpServer((socket) => socket.end('bye'));
    const port = await through('lingering', source.port);
    await toxic('lingering', { type: 'slow_close', attributes: { delay: 300 } });
    const socket = await connect(port);
    const started = performance.now();
    let firstDataAt = 0;
    socket.once('data', () => (firstDataAt = performance.now()));
    const result = await collect(socket);
    await source.close();
    expect(result.data.toString()).toBe('bye');
    expect(firstDataAt - started).toBeLessThan(100);
    expect(result.closedAt - started).toBeGreaterThanOrEqual(290);
  });

  test('slicer splits a chunk into small pieces, every byte intact and in order', async () => {
    const payload = randomBytes(2_000);
    const source = await tcpServer((socket) => socket.end(payload));
    const port = await through('sliced', source.port);
    await toxic('sliced', { type: 'slicer', attributes: { average_size: 20, size_variation: 5, delay: 2000 } });
    const result = await collect(await connect(port));
    await source.close();
    expect(result.data.equals(payload)).toBe(true);
    expect(result.chunks).toBeGreaterThan(20);
  });

  test('disabling a proxy closes its live connections and its listener', async () => {
    const port = await through('cut', echo.port);
    const socket = await connect(port);
    await roundTrip(socket);
    const result = collect(socket);
    await api('PATCH', '/proxies/cut', { enabled: false });
    await result;
    await expect(connect(port)).rejects.toThrow(/ECONNREFUSED/);
    await api('PATCH', '/proxies/cut', { enabled: true });
    const again = await connect(port);
    expect(await roundTrip(again)).toBeLessThan(100);
    again.destroy();
  });
});
