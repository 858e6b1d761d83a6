import { chownSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RushhourError } from '../errors.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { startProcess, type ProcessHandle, type ProcessSpec } from '../process.ts';

/** What every local component starter gets: where to put files, and where to register teardown. */
export interface LocalContext {
  runId: string;
  runDir: string;
  lifecycle: Lifecycle;
  /** Called for every process started, so the owner file lists it for the reaper. */
  track: (handle: ProcessHandle) => void;
  /** Remaining boot budget. */
  deadline: number;
}

export function logFile(ctx: LocalContext, name: string): string {
  const dir = path.join(ctx.runDir, 'logs');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.log`);
}

export function remainingMs(ctx: LocalContext): number {
  return Math.max(1_000, ctx.deadline - Date.now());
}

/** Starts a long-running component and registers its stop before anything can fail. */
export function startComponent(ctx: LocalContext, spec: Omit<ProcessSpec, 'logFile'>, stop: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): ProcessHandle {
  const handle = startProcess({ ...spec, logFile: logFile(ctx, spec.name) });
  ctx.track(handle);
  ctx.lifecycle.defer(`stop ${spec.name}`, () => handle.stop(stop));
  return handle;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` user (which every
 * PostgreSQL package creates); as anyone else, as ourselves.
 */
export function postgresUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch (cause) {
    throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', 'running as root, but there is no `postgres` user to run PostgreSQL as', {
      cause,
      hint: 'Install PostgreSQL from your distribution (it creates the user), or run rushhour as an ordinary user.',
    });
  }
}

export function ownedDir(dir: string, owner: RunAs | undefined): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}
