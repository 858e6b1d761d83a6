import http from 'node:http';
import os from 'node:os';
import type Dockerode from 'dockerode';
import { RushhourError } from '../errors.ts';

/** Labels on every container and network rushhour creates: what the reaper matches on. */
export const LABEL = {
  runId: 'dev.rushhour.run-id',
  ownerPid: 'dev.rushhour.owner-pid',
  /** The owner's kernel start time, so a reused pid is never mistaken for the owner. */
  ownerStart: 'dev.rushhour.owner-start',
  host: 'dev.rushhour.host',
  component: 'dev.rushhour.component',
} as const;

/**
 * testcontainers starts Ryuk, its reaper container, unless told not to; Ryuk's image cannot be
 * pulled without a registry, and rushhour reaps its own containers by label anyway. A value the
 * user set explicitly is left alone (only the literal "true" disables it).
 */
export function disableRyukUnlessSet(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
}

/** How the engine is reached: DOCKER_HOST (unix:// or tcp://) or the default socket. */
function engineAddress(): { socketPath: string } | { host: string; port: number } {
  const dockerHost = process.env.DOCKER_HOST;
  if (dockerHost?.startsWith('tcp://')) {
    const url = new URL(dockerHost.replace('tcp://', 'http://'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  return { socketPath: dockerHost?.startsWith('unix://') ? dockerHost.slice('unix://'.length) : '/var/run/docker.sock' };
}

/**
 * True when a Docker engine answers `/_ping` within the timeout. Cheap (no client library, no
 * API negotiation), because the default provider is chosen with it on every `up`.
 */
export function dockerAnswers(timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get({ ...engineAddress(), path: '/_ping', timeout: timeoutMs }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

export async function requireDocker(): Promise<void> {
  if (await dockerAnswers()) return;
  throw new RushhourError('RUSHHOUR_ERR_PROVIDER_UNAVAILABLE', 'the containers provider needs a Docker engine, and none answers', {
    details: [`tried: ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}`],
    hint: 'Run `npx rushhour install-deps --containers` (installs Debian\'s docker.io and starts dockerd), or use `--provider local`.',
  });
}

/** The engine's own client, through testcontainers (which negotiates the API version). */
export async function dockerClient(): Promise<Dockerode> {
  disableRyukUnlessSet();
  const { getContainerRuntimeClient } = await import('testcontainers');
  return (await getContainerRuntimeClient()).container.dockerode;
}

export function ownerLabels(runId: string, ownerPid: number, ownerStart: string | null): Record<string, string> {
  return { [LABEL.runId]: runId, [LABEL.ownerPid]: String(ownerPid), [LABEL.ownerStart]: ownerStart ?? '', [LABEL.host]: os.hostname() };
}
