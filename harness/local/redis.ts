import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { redisPing } from '../readiness.ts';
import type { LocalComponent } from './component.ts';
import { remainingMs, startComponent, type LocalContext } from './context.ts';

/** Redis as a pure cache: no RDB, no AOF. DEBUG is allowed from loopback for chaos (DEBUG SLEEP). */
export async function startRedis(ctx: LocalContext, binary: string, port: number): Promise<LocalComponent> {
  const dir = path.join(ctx.runDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--enable-debug-command', 'local', '--loglevel', 'warning'];
  const component = startComponent(ctx, { name: 'redis', command: binary, args }, { ready: { probe: () => redisPing(port), what: 'answering PING' } });
  await component.waitReady(remainingMs(ctx), ctx.signal);
  return component;
}
