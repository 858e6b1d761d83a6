import { chownSync, mkdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { RushhourError } from '../errors.ts';
import type { Lifecycle } from '../lifecycle.ts';
import type { ProcessHandle, ProcessSpec } from '../process.ts';
import { LocalComponent, type Readiness, type StopPolicy } from './component.ts';

/** What every local component starter gets: where to put files, and where to register teardown. */
export interface LocalContext {
  runId: string;
  runDir: string;
  lifecycle: Lifecycle;
  /** Called for every process started (again on a restart), so the owner file lists it for the reaper. */
  track: (handle: ProcessHandle) => void;
  /** Every long-running component by name, for the component controls. */
  components: Map<string, LocalComponent>;
  /** Remaining boot budget. */
  deadline: number;
  /** Aborted on the first failed step (or an interrupt): steps still in flight stop early. */
  signal: AbortSignal;
}

export function logFile(ctx: LocalContext, name: string): string {
  const dir = path.join(ctx.runDir, 'logs');
  mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.log`);
}

export function remainingMs(ctx: Pick<LocalContext, 'deadline'>): number {
  return Math.max(1_000, ctx.deadline - Date.now());
}

/**
 * Starts a long-running component and registers its stop before anything can fail. The
 * component is not awaited here: callers wait for readiness when their boot order needs it.
 */
export function startComponent(ctx: LocalContext, spec: Omit<ProcessSpec, 'logFile'>, options: { ready: Readiness; stop?: StopPolicy }): LocalComponent {
  ctx.signal.throwIfAborted();
  const component = new LocalComponent({ ...spec, logFile: logFile(ctx, spec.name) }, { ...options, onStart: ctx.track });
  ctx.components.set(spec.name, component);
  ctx.lifecycle.defer(`stop ${spec.name}`, () => component.stop());
  return component;
}

export interface RunAs {
  uid: number;
  gid: number;
}

/** Looked up once per process: `undefined` means "run as ourselves", null "not looked up yet". */
let cachedPostgresUser: RunAs | undefined | null = null;

/**
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` user (which every
 * PostgreSQL package creates); as anyone else, as ourselves.
 */
export function postgresUser(): RunAs | undefined {
  if (cachedPostgresUser !== null) return cachedPostgresUser;
  if (process.getuid?.() !== 0) return (cachedPostgresUser = undefined);
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return (cachedPostgresUser = { uid, gid });
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
