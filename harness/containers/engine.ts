import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { findBinary } from '../binaries.ts';
import { RushhourError } from '../errors.ts';
import { dockerAnswers } from './docker.ts';

export const DOCKERD_LOG = '/var/log/rushhour-dockerd.log';

/**
 * Starts Debian's dockerd in the background when no engine answers. The docker.io package does
 * not start its service on install where no init system runs (policy-rc.d), so on the project's
 * machines the engine is started here, logging to a file, and awaited on its socket.
 */
export async function ensureDockerEngine(print: (line: string) => void, timeoutMs = 30_000): Promise<'running' | 'started'> {
  if (await dockerAnswers()) return 'running';
  const dockerd = findBinary('dockerd');
  if (!dockerd) throw new RushhourError('RUSHHOUR_ERR_BINARY_MISSING', 'no Docker engine answers, and dockerd is not installed', { details: ['Debian/Ubuntu: sudo apt-get install -y docker.io'] });
  if (process.getuid?.() !== 0) throw new RushhourError('RUSHHOUR_ERR_PROVIDER_UNAVAILABLE', 'no Docker engine answers; starting dockerd needs root', { hint: 'Start it as root (`sudo dockerd &` or your init system), then retry.' });
  print(`install-deps: starting ${dockerd} in the background (log ${DOCKERD_LOG})`);
  const log = openSync(DOCKERD_LOG, 'a');
  const child = spawn(dockerd, [], { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await dockerAnswers()) return 'started';
    if (child.exitCode !== null) break;
    await sleep(200);
  }
  throw new RushhourError('RUSHHOUR_ERR_PROVIDER_UNAVAILABLE', `dockerd did not answer within ${timeoutMs} ms`, { details: [`log: ${DOCKERD_LOG}`] });
}
