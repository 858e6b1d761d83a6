import { accessSync, constants, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
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

/**
 * Where run dirs go: RUSHHOUR_TMPDIR if set, else /dev/shm where it is a writable tmpfs (a
 * stack's data is disposable, and initdb there takes 0.5 s against 1.5 s on this machine's
 * disk), else the OS temp dir.
 */
export function runRoot(): string {
  if (process.env.RUSHHOUR_TMPDIR) return process.env.RUSHHOUR_TMPDIR;
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function runDirFor(runId: string): string {
  return path.join(runRoot(), `${RUN_DIR_PREFIX}${runId}`);
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

/** Run dirs in every place one may be, so a stack made under another setting is still reaped. */
export function listRunDirs(): string[] {
  const roots = [...new Set([runRoot(), '/dev/shm', os.tmpdir()])];
  return roots.flatMap((root) => {
    try {
      return readdirSync(root)
        .filter((entry) => RUN_DIR_PATTERN.test(entry))
        .map((entry) => path.join(root, entry));
    } catch {
      return [];
    }
  });
}
