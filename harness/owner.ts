import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `<tmp>/rushhour-<runId>/owner.json`: who owns a stack and which processes it started.
 * Written before the first component starts and after each one, so the reaper can end a
 * stack whose owner died at any point of its boot.
 */
export interface OwnerRecord {
  runId: string;
  provider: 'local' | 'containers';
  ownerPid: number;
  /** The owner's process group: every component is started inside it. */
  pgid: number;
  startedAt: string;
  cwd: string;
  /** `startTime` is the kernel's start time (Linux), so a reused pid is never mistaken for ours. */
  components: { name: string; pid: number; startTime: string | null }[];
}

export const RUN_DIR_PREFIX = 'rushhour-';
export const OWNER_FILE = 'owner.json';
/** `rushhour-<yyyymmdd>-<hhmmss>-<6 hex>`, as newRunId() makes them: nothing else in tmp is ours. */
const RUN_DIR_PATTERN = /^rushhour-\d{8}-\d{6}-[0-9a-f]{6}$/;

export function runDirFor(runId: string): string {
  return path.join(os.tmpdir(), `${RUN_DIR_PREFIX}${runId}`);
}

export function writeOwner(runDir: string, record: OwnerRecord): void {
  const file = path.join(runDir, OWNER_FILE);
  writeFileSync(`${file}.tmp`, JSON.stringify(record, null, 2));
  renameSync(`${file}.tmp`, file);
}

export function readOwner(runDir: string): OwnerRecord | null {
  try {
    return JSON.parse(readFileSync(path.join(runDir, OWNER_FILE), 'utf8')) as OwnerRecord;
  } catch {
    return null;
  }
}

export function listRunDirs(): string[] {
  const tmp = os.tmpdir();
  return readdirSync(tmp)
    .filter((entry) => RUN_DIR_PATTERN.test(entry))
    .map((entry) => path.join(tmp, entry));
}
