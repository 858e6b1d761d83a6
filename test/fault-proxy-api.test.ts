import net from 'node:net';
import { Toxiproxy, type ICreateToxicBody } from 'toxiproxy-node-client';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startFaultProxy, type FaultProxyServer } from '../chaos/proxy/index.ts';
import { freePorts, isListening } from '../harness/ports.ts';

let server: FaultProxyServer;
let client: Toxiproxy;

beforeAll(async () => {
  server = await startFaultProxy({ host: '127.0.0.1', port: 0 });
  client = new Toxiproxy(server.url);
});
afterAll(() => server.close());
beforeEach(async () => {
  for (const proxy of Object.values(await client.getAll())) await proxy.remove();
});

const raw = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
  const response = await fetch(`${server.url}${path}`, { method, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body), headers });
  return { status: response.status, headers: response.headers, text: await response.text() };
};
const toxicBody = <T>(body: Partial<ICreateToxicBody<T>>) => body as ICreateToxicBody<T>;

describe('driven by toxiproxy-node-client', () => {
  test('version', async () => {
    expect(await client.getVersion()).toBe('{"version": "2.12.0"}\n');
  });

  test('create binds port 0 and echoes the bound address; get finds it; a duplicate is 409', async () => {
    const proxy = await client.createProxy({ name: 'redis', listen: 'localhost:0', upstream: 'localhost:6379' });
    expect(proxy.listen).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(proxy.listen).not.toBe('127.0.0.1:0');
    expect(proxy.enabled).toBe(true);
    expect(await isListening(Number(proxy.listen.split(':')[1]))).toBe(true);
    expect((await client.get('redis')).listen).toBe(proxy.listen);
    await expect(client.createProxy({ name: 'redis', listen: 'localhost:0', upstream: 'localhost:6379' })).rejects.toThrow('Request failed with status code 409');
  });

  test('populate two with fixed listens; getAll returns exactly them, echoed verbatim', async () => {
    const [a, b] = await freePorts(2);
    const made = await client.populate([
      { name: 'one', listen: `127.0.0.1:${a}`, upstream: 'localhost:12345' },
      { name: 'two', listen: `127.0.0.1:${b}`, upstream: 'localhost:12345' },
    ]);
    expect(Object.keys(made).sort()).toEqual(['one', 'two']);
    const all = await client.getAll();
    expect(Object.keys(all)).toEqual(['one', 'two']);
    expect(all.one!.listen).toBe(`127.0.0.1:${a}`);
    expect(all.two!.upstream).toBe('localhost:12345');
    // The real server answers null here and crashes this client; we answer [].
    expect(await client.populate([])).toEqual({});
  });

  test('update through the deprecated POST verb: disable closes the listener, enable re-listens on the same port', async () => {
    const proxy = await client.createProxy({ name: 'pg', listen: 'localhost:0', upstream: 'localhost:5432' });
    const port = Number(proxy.listen.split(':')[1]);
    const down = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    expect(down.enabled).toBe(false);
    expect(await isListening(port)).toBe(false);
    const up = await down.update({ enabled: true, listen: proxy.listen, upstream: 'somehost:12345' });
    expect(up.enabled).toBe(true);
    expect(up.upstream).toBe('somehost:12345');
    expect(up.listen).toBe(proxy.listen);
    expect(await isListening(port)).toBe(true);
  });

  test('toxic create, get, update, remove; defaults; duplicates', async () => {
    const proxy = await client.createProxy({ name: 'api', listen: 'localhost:0', upstream: 'localhost:6379' });
    const toxic = await proxy.addToxic(toxicBody({ type: 'latency', attributes: { latency: 1000, jitter: 100 } }));
    expect(toxic.name).toBe('latency_downstream');
    expect(toxic.stream).toBe('downstream');
    expect(toxic.toxicity).toBe(1);
    expect(toxic.attributes).toEqual({ latency: 1000, jitter: 100 });
    expect((await proxy.getToxic('latency_downstream')).attributes).toEqual({ latency: 1000, jitter: 100 });
    const updated = await toxic.update(toxicBody({ attributes: { latency: 12345, jitter: 42 } }));
    expect(updated.attributes).toEqual({ latency: 12345, jitter: 42 });
    await expect(proxy.addToxic(toxicBody({ type: 'latency', attributes: { latency: 1, jitter: 0 } }))).rejects.toThrow('status code 409');
    await updated.remove();
    await expect(proxy.getToxic('latency_downstream')).rejects.toThrow('status code 404');
  });

  test.each([
    ['bandwidth', { rate: 1000 }],
    ['slow_close', { delay: 1000 }],
    ['timeout', { timeout: 5000 }],
    ['slicer', { average_size: 1000, size_variation: 1000, delay: 1000 }],
    ['reset_peer', { timeout: 1000 }],
    ['limit_data', { bytes: 42 }],
  ])('%s is created with its attributes echoed', async (type, attributes) => {
    const proxy = await client.createProxy({ name: `t-${type}`, listen: 'localhost:0', upstream: 'localhost:6379' });
    const toxic = await proxy.addToxic(toxicBody({ type: type as never, stream: 'upstream', attributes }));
    expect(toxic.type).toBe(type);
    expect(toxic.name).toBe(`${type}_upstream`);
    expect(toxic.attributes).toEqual(attributes);
  });

  test('reset re-enables every proxy and removes every toxic; remove deletes', async () => {
    const proxy = await client.createProxy({ name: 'r', listen: 'localhost:0', upstream: 'localhost:6379' });
    await proxy.addToxic(toxicBody({ type: 'latency', attributes: { latency: 5, jitter: 0 } }));
    await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    await client.reset();
    const after = await raw('GET', '/proxies/r');
    expect(JSON.parse(after.text)).toMatchObject({ enabled: true, toxics: [] });
    await (await client.get('r')).remove();
    await expect(client.get('r')).rejects.toThrow('status code 404');
  });
});

describe('wire details the client does not show', () => {
  test('errors: {"error","status"} under text/plain, with the messages Toxiproxy uses', async () => {
    await raw('POST', '/proxies', { name: 'x', listen: 'localhost:0', upstream: 'localhost:1' });
    const cases: [string, string, unknown, number, string][] = [
      ['POST', '/proxies', { listen: 'localhost:0', upstream: 'a:1' }, 400, 'missing required field: name'],
      ['POST', '/proxies', { name: 'y', listen: 'localhost:0' }, 400, 'missing required field: upstream'],
      ['POST', '/proxies', '{"name": 5}', 400, 'bad request body: name must be a string'],
      ['GET', '/proxies/nope', undefined, 404, 'proxy not found'],
      ['POST', '/proxies/x/toxics', { type: 'latency', stream: 'sideways' }, 400, 'stream was invalid, can be either upstream or downstream'],
      ['POST', '/proxies/x/toxics', { type: 'down' }, 400, 'invalid toxic type'],
      ['GET', '/proxies/x/toxics/none', undefined, 404, 'toxic not found'],
    ];
    for (const [method, path, body, status, message] of cases) {
      const answer = await raw(method, path, body);
      expect(answer.status, `${method} ${path}`).toBe(status);
      expect(answer.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(JSON.parse(answer.text)).toEqual({ error: message, status });
      expect(answer.text.endsWith('\n')).toBe(true);
    }
  });

  test('PATCH updates; toxics list; stream case is echoed; names unique across streams', async () => {
    await raw('POST', '/proxies', { name: 'p', listen: 'localhost:0', upstream: 'localhost:1' });
    const patched = await raw('PATCH', '/proxies/p', { upstream: 'localhost:2' });
    expect(JSON.parse(patched.text).upstream).toBe('localhost:2');
    const created = await raw('POST', '/proxies/p/toxics', { type: 'noop', stream: 'UpStream' });
    expect(created.status).toBe(200);
    expect(JSON.parse(created.text)).toMatchObject({ name: 'noop_UpStream', stream: 'UpStream' });
    expect((await raw('POST', '/proxies/p/toxics', { type: 'latency', name: 'noop_UpStream', stream: 'downstream' })).status).toBe(409);
    const list = JSON.parse((await raw('GET', '/proxies/p/toxics')).text);
    expect(list.map((t: { name: string }) => t.name)).toEqual(['noop_UpStream']);
    const partial = await raw('PATCH', '/proxies/p/toxics/noop_UpStream', { toxicity: 0.5 });
    expect(JSON.parse(partial.text).toxicity).toBe(0.5);
  });

  test('populate validates everything first, keeps unchanged proxies, and reports a bind failure with what it made', async () => {
    const bad = await raw('POST', '/populate', [{ name: 'a', upstream: 'x:1' }, { upstream: 'x:1' }]);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text)).toEqual({ error: 'missing required field: name at proxy 2', status: 400, proxies: null });
    expect(Object.keys(JSON.parse((await raw('GET', '/proxies')).text))).toEqual([]);

    const [port] = await freePorts(1);
    await raw('POST', '/populate', [{ name: 'keep', listen: `127.0.0.1:${port}`, upstream: 'x:1' }]);
    await raw('POST', '/proxies/keep/toxics', { type: 'latency', attributes: { latency: 10 } });
    const again = JSON.parse((await raw('POST', '/populate', [{ name: 'keep', listen: `localhost:${port}`, upstream: 'x:1' }])).text);
    expect(again.proxies[0].toxics).toHaveLength(1);

    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const taken = (blocker.address() as net.AddressInfo).port;
    const partial = await raw('POST', '/populate', [
      { name: 'first', listen: 'localhost:0', upstream: 'x:1' },
      { name: 'clash', listen: `127.0.0.1:${taken}`, upstream: 'x:1' },
    ]);
    blocker.close();
    expect(partial.status).toBe(500);
    const body = JSON.parse(partial.text);
    expect(body.error).toBe(`listen tcp 127.0.0.1:${taken}: bind: address already in use`);
    expect(body.proxies.map((p: { name: string }) => p.name)).toEqual(['first']);
    expect(partial.headers.get('content-type')).toBe('application/json');
  });

  test('unknown path 404 text, wrong verb 405, browsers 403, a request id on every answer', async () => {
    const unknown = await raw('GET', '/nothing');
    expect(unknown.status).toBe(404);
    expect(unknown.text).toBe('404 page not found\n');
    expect((await raw('DELETE', '/version')).status).toBe(405);
    const browser = await raw('GET', '/proxies', undefined, { 'user-agent': 'Mozilla/5.0' });
    expect(browser.status).toBe(403);
    expect(browser.text).toBe('User agent not allowed');
    expect(unknown.headers.get('x-toxiproxy-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('rushhour proxy (standalone, drop-in Toxiproxy server)', () => {
  test('serves the API with --config applied like populate, and stops cleanly on Ctrl-C', async () => {
    const { rushhourAsync, scratchDir } = await import('./support/cli.ts');
    const [apiPort] = await freePorts(1);
    const dir = scratchDir({ 'proxies.json': JSON.stringify([{ name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:5432' }]) });
    const run = rushhourAsync(['proxy', '--host', '127.0.0.1', '--port', String(apiPort), '--config', 'proxies.json'], dir);
    const deadline = Date.now() + 20_000;
    while (!run.output().includes('listening on') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const standalone = new Toxiproxy(`http://127.0.0.1:${apiPort}`);
    expect(Object.keys(await standalone.getAll())).toEqual(['db']);
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    expect(await isListening(apiPort!)).toBe(false);
  });

  test('a bad --config is exit 2 naming the file', async () => {
    const { rushhour, scratchDir } = await import('./support/cli.ts');
    const dir = scratchDir({ 'bad.json': '{"not": "an array"}', 'broken.json': '[{' });
    expect(rushhour(['proxy', '--port', '0', '--config', 'bad.json'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^RUSHHOUR_ERR_CONFIG_INVALID: bad\.json: \(root\)/) });
    expect(rushhour(['proxy', '--port', '0', '--config', 'broken.json'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^RUSHHOUR_ERR_CONFIG_INVALID: broken\.json: not valid JSON/) });
    expect(rushhour(['proxy', '--port', '0', '--config', 'missing.json'], dir)).toMatchObject({ code: 2, stderr: expect.stringMatching(/^RUSHHOUR_ERR_CONFIG_NOT_FOUND/) });
  });
});
