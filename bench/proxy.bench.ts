// Fault proxy benchmark: what passing through the proxy (no toxics) costs against a direct
// loopback connection, measured in the same run. The proxy runs as its own process
// (`rushhour proxy`), as it does in the stack. Bounded: fixed byte and round-trip counts.
// Usage: npm run bench:proxy
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePorts } from '../harness/ports.ts';

const ROUND_TRIPS = 3_000;
const STREAMS = 8;
const BYTES_PER_STREAM = 32 * 1024 * 1024;

async function server(handler: (socket: net.Socket) => void): Promise<{ port: number; close: () => void }> {
  const s = net.createServer(handler);
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { port: (s.address() as net.AddressInfo).port, close: () => s.close() };
}

const connect = (port: number) =>
  new Promise<net.Socket>((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(socket));
    socket.setNoDelay(true);
    socket.once('error', reject);
  });

async function latency(port: number): Promise<number[]> {
  const socket = await connect(port);
  const payload = Buffer.alloc(64, 1);
  const samples: number[] = [];
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const started = process.hrtime.bigint();
    await new Promise<void>((resolve) => {
      let got = 0;
      const onData = (chunk: Buffer) => {
        got += chunk.length;
        if (got >= payload.length) {
          socket.off('data', onData);
          resolve();
        }
      };
      socket.on('data', onData);
      socket.write(payload);
    });
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  socket.destroy();
  return samples.sort((a, b) => a - b);
}

async function throughput(port: number): Promise<number> {
  const started = performance.now();
  await Promise.all(
    Array.from({ length: STREAMS }, async () => {
      const socket = await connect(port);
      let got = 0;
      await new Promise<void>((resolve) => {
        socket.on('data', (chunk: Buffer) => {
          got += chunk.length;
          if (got >= BYTES_PER_STREAM) resolve();
        });
      });
      socket.destroy();
    }),
  );
  return (STREAMS * BYTES_PER_STREAM) / 1e6 / ((performance.now() - started) / 1000);
}

const echo = await server((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  socket.pipe(socket);
});
const block = Buffer.alloc(64 * 1024, 7);
const source = await server((socket) => {
  socket.on('error', () => {});
  let sent = 0;
  const pump = () => {
    while (sent < BYTES_PER_STREAM) {
      sent += block.length;
      if (!socket.write(block)) return void socket.once('drain', pump);
    }
  };
  pump();
});

const [apiPort, echoVia, sourceVia] = await freePorts(3);
const proxy = spawn(process.execPath, [path.resolve('bin/rushhour.mjs'), 'proxy', '--host', '127.0.0.1', '--port', String(apiPort)], { stdio: 'ignore' });
try {
  const api = `http://127.0.0.1:${apiPort}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${api}/version`).then((r) => r.ok, () => false)) break;
    await sleep(50);
  }
  await fetch(`${api}/populate`, {
    method: 'POST',
    body: JSON.stringify([
      { name: 'echo', listen: `127.0.0.1:${echoVia}`, upstream: `127.0.0.1:${echo.port}` },
      { name: 'source', listen: `127.0.0.1:${sourceVia}`, upstream: `127.0.0.1:${source.port}` },
    ]),
  });
  const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
  // Warm-up both paths, then measure direct and proxied alternately.
  await latency(echo.port);
  await latency(echoVia!);
  const direct = await latency(echo.port);
  const proxied = await latency(echoVia!);
  const directRate = await throughput(source.port);
  const proxiedRate = await throughput(sourceVia!);
  const row = (label: string, d: number, p: number, unit: string) => console.log(`  ${label.padEnd(22)} direct ${d.toFixed(3).padStart(9)} ${unit}   proxy ${p.toFixed(3).padStart(9)} ${unit}   ratio ${(p / d).toFixed(2)}`);
  console.log(`fault proxy vs direct loopback (${ROUND_TRIPS} round trips of 64 B; ${STREAMS} streams x ${BYTES_PER_STREAM / 1024 / 1024} MiB):`);
  row('round trip p50', pct(direct, 50), pct(proxied, 50), 'ms');
  row('round trip p99', pct(direct, 99), pct(proxied, 99), 'ms');
  row('throughput', directRate, proxiedRate, 'MB/s');
  console.log(`  added latency p50: ${(pct(proxied, 50) - pct(direct, 50)).toFixed(3)} ms; throughput kept: ${((proxiedRate / directRate) * 100).toFixed(0)} %`);
} finally {
  proxy.kill('SIGTERM');
  echo.close();
  source.close();
}
process.exit(0);
