import { readdirSync, readFileSync } from 'node:fs';

/** Processes started as a canary candidate that are still alive (their environment names them). */
export function candidateProcesses(): number[] {
  const alive: number[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (/INSTANCE_NAME=matching-canary-\d/.test(readFileSync(`/proc/${pid}/environ`, 'latin1'))) alive.push(Number(pid));
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return alive;
}
