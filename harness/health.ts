import pg from 'pg';
import { isHttpOk } from './http.ts';
import { redisPing } from './readiness.ts';
import { dockerClient } from './containers/docker.ts';
import { isAlive } from './process.ts';
import type { ComponentInfo } from './topology.ts';

export interface ComponentHealth extends ComponentInfo {
  running: boolean;
}

async function postgresOk(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Running and not paused, by the engine's word; false when the engine does not answer. */
async function containerRunning(id: string): Promise<boolean> {
  try {
    const { State } = await (await dockerClient()).getContainer(id).inspect();
    return State.Running && !State.Paused;
  } catch {
    return false;
  }
}

/** Live health of every component, probed the way each one is meant to be probed. */
export function checkHealth(components: readonly ComponentInfo[]): Promise<ComponentHealth[]> {
  return Promise.all(
    components.map(async (component) => {
      const running = component.containerId ? await containerRunning(component.containerId) : component.pid === null ? true : isAlive(component.pid);
      let healthy = false;
      if (running && component.url) {
        if (component.kind === 'database') healthy = await postgresOk(component.url);
        else if (component.kind === 'cache') healthy = await redisPing(Number(new URL(component.url).port), new URL(component.url).hostname);
        else if (component.kind === 'monitoring') healthy = await isHttpOk(`${component.url}/-/ready`);
        else if (component.kind === 'proxy') healthy = await isHttpOk(`${component.url}/version`);
        else healthy = await isHttpOk(`${component.url}/health`);
      }
      return { ...component, running, healthy };
    }),
  );
}
