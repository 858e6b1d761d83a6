import os from 'node:os';
import { debug } from '../log.ts';
import { isAlive, processStartTime } from '../process.ts';
import { dockerAnswers, dockerClient, LABEL } from './docker.ts';

const log = debug('reaper');

/** True while the labelled owner is the same live process (a reused pid is not the owner). */
function ownerAlive(labels: Record<string, string>): boolean {
  const pid = Number(labels[LABEL.ownerPid]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return false;
  const start = labels[LABEL.ownerStart];
  return !start || processStartTime(pid) === start;
}

export interface ContainerReapReport {
  runs: string[];
  containers: string[];
  networks: string[];
}

/**
 * Removes every container and network of a run whose owner process is dead, on this host
 * only (a shared engine may serve other machines' runs, whose pids mean nothing here).
 * Does nothing, quickly, when no Docker engine answers.
 */
export async function reapOrphanContainers(): Promise<ContainerReapReport> {
  const report: ContainerReapReport = { runs: [], containers: [], networks: [] };
  if (!(await dockerAnswers(500))) return report;
  const docker = await dockerClient();
  const host = os.hostname();
  const filter = { label: [LABEL.runId, `${LABEL.host}=${host}`] };
  const dead = new Set<string>();
  const containers = await docker.listContainers({ all: true, filters: filter });
  for (const container of containers) if (!ownerAlive(container.Labels)) dead.add(container.Labels[LABEL.runId]!);
  const networks = await docker.listNetworks({ filters: filter });
  for (const network of networks) if (!ownerAlive(network.Labels ?? {})) dead.add(network.Labels![LABEL.runId]!);
  for (const container of containers.filter((c) => dead.has(c.Labels[LABEL.runId]!))) {
    log(`removing container ${container.Names[0]} (owner ${container.Labels[LABEL.ownerPid]} is dead)`);
    await docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => {});
    report.containers.push(container.Names[0]?.replace(/^\//, '') ?? container.Id);
  }
  for (const network of networks.filter((n) => dead.has(n.Labels![LABEL.runId]!))) {
    await docker.getNetwork(network.Id).remove().catch(() => {});
    report.networks.push(network.Name);
  }
  report.runs = [...dead];
  return report;
}
