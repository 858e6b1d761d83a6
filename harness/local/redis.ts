import net from 'node:net';
import path from 'node:path';
import { mkdirSync } from 'node:fs';
import { waitUntilReady, type ProcessHandle } from '../process.ts';
import { remainingMs, startComponent, type LocalContext } from './context.ts';

/** Redis as a pure cache: no RDB, no AOF. DEBUG is allowed from loopback for chaos (DEBUG SLEEP). */
export async function startRedis(ctx: LocalContext, binary: string, port: number): Promise<ProcessHandle> {
  const dir = path.join(ctx.runDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'local', '--loglevel', 'warning'];
  const handle = startComponent(ctx, { name: 'redis', command: binary, args });
  await waitUntilReady(handle, () => redisPing(port), { timeoutMs: remainingMs(ctx), signal: ctx.signal, what: 'answering PING' });
  return handle;
}

export function redisPing(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}
