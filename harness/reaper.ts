import { rmSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { reapOrphanContainers } from './containers/reaper.ts';
import { debug } from './log.ts';
import { listRunDirs, readOwner, type OwnerRecord } from './owner.ts';
import { isAlive, processStartTime } from './process.ts';
import { removeState } from './state.ts';

const log = debug('reaper');

/** Guards against pid reuse: a recorded pid is signalled only while it is the same process. */
function stillOurs(component: OwnerRecord['components'][number]): boolean {
  if (!isAlive(component.pid)) return false;
  return component.startTime === null || processStartTime(component.pid) === component.startTime;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

/** Ends every process of a stack whose owner is dead, and removes its run dir and state file. */
export async function reapStack(runDir: string, owner: OwnerRecord): Promise<string[]> {
  const live = owner.components.filter(stillOurs);
  // PostgreSQL: SIGINT is its fast shutdown (cleans up shared memory); the rest take SIGTERM.
  for (const component of live) signal(component.pid, component.name.startsWith('postgres') ? 'SIGINT' : 'SIGTERM');
  const deadline = Date.now() + 5_000;
  while (live.some((component) => isAlive(component.pid)) && Date.now() < deadline) await sleep(50);
  for (const component of live) if (isAlive(component.pid)) signal(component.pid, 'SIGKILL');
  // Anything else left in the dead owner's own process group (only when it led one, so a
  // shell's group is never touched).
  if (owner.pgid === owner.ownerPid) {
    try {
      process.kill(-owner.pgid, 'SIGKILL');
    } catch {
      // Empty group.
    }
  }
  rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  removeState(owner.ownerPid, owner.cwd);
  return live.map((component) => `${component.name} (pid ${component.pid})`);
}

export interface ReapReport {
  stacks: string[];
  processes: string[];
  containers: string[];
  networks: string[];
}

/**
 * Sweeps stacks whose owner process is dead: left by `kill -9`, a crash or a power cut.
 * Runs on every `up` and `down`; stacks with a live owner are never touched.
 */
export async function reapOrphans(): Promise<ReapReport> {
  const report: ReapReport = { stacks: [], processes: [], containers: [], networks: [] };
  for (const runDir of listRunDirs()) {
    const owner = readOwner(runDir);
    if (!owner) {
      // The owner record is written right after the dir is made; a dir still without one a
      // minute later is the remains of an owner that died in between, with nothing started.
      if (Date.now() - statSync(runDir).mtimeMs > 60_000) {
        log(`removing ${runDir}: no owner record`);
        rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      }
      continue;
    }
    if (isAlive(owner.ownerPid)) continue;
    log(`reaping ${owner.runId} (owner ${owner.ownerPid} is dead)`);
    report.processes.push(...(await reapStack(runDir, owner)));
    report.stacks.push(owner.runId);
  }
  // Containers and networks are found by their labels, not by run dirs: a run dir may be gone
  // (a reboot empties /dev/shm) while its containers still run.
  const containers = await reapOrphanContainers();
  for (const runId of containers.runs) if (!report.stacks.includes(runId)) report.stacks.push(runId);
  report.containers.push(...containers.containers);
  report.networks.push(...containers.networks);
  return report;
}
