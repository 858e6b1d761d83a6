import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { RushhourError } from './errors.ts';
import { probeOnce } from './readiness.ts';

export interface ProcessSpec {
  /** Component name, used in logs and errors. */
  name: string;
  command: string;
  args: readonly string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Run as this user (PostgreSQL refuses to run as root). */
  uid?: number;
  gid?: number;
  /** stdout and stderr are appended here. */
  logFile: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A started child process. `stop()` is idempotent and safe to race with the child's own exit. */
export class ProcessHandle implements AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** Settles when the process exits, for whatever reason. */
  readonly exited: Promise<Exit>;
  #child: ChildProcess;
  #exit: Exit | null = null;
  #stopping: Promise<Exit> | null = null;

  constructor(name: string, child: ChildProcess, logFile: string) {
    if (child.pid === undefined) throw new Error(`${name} has no pid`);
    this.name = name;
    this.pid = child.pid;
    this.logFile = logFile;
    this.#child = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
  }

  get running(): boolean {
    return this.#exit === null;
  }

  /** Signals the process, waits up to `timeoutMs`, then SIGKILLs it. */
  stop(options: { signal?: NodeJS.Signals; timeoutMs?: number } = {}): Promise<Exit> {
    this.#stopping ??= this.#stop(options.signal ?? 'SIGTERM', options.timeoutMs ?? 5_000);
    return this.#stopping;
  }

  async #stop(signal: NodeJS.Signals, timeoutMs: number): Promise<Exit> {
    if (this.#exit) return this.#exit;
    this.signal(signal);
    // The escalation timer is cleared as soon as the process exits, so it never keeps the
    // owner's event loop alive after a clean stop.
    const escalate = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(escalate);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.#exit) return;
    try {
      this.#child.kill(signal);
    } catch {
      // Already gone between the check and the kill.
    }
  }

  logTail(lines = 20): string[] {
    return tailFile(this.logFile, lines);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export function startProcess(spec: ProcessSpec): ProcessHandle {
  const fd = openSync(spec.logFile, 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', fd, fd],
      uid: spec.uid,
      gid: spec.gid,
    });
    // Spawn failures (ENOENT, EACCES) leave no pid and arrive later as an 'error' event,
    // which would crash the process if nobody listened.
    child.once('error', () => {});
    if (child.pid === undefined) {
      throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${spec.name}: could not start ${spec.command}`);
    }
    const handle = new ProcessHandle(spec.name, child, spec.logFile);
    return handle;
  } finally {
    closeSync(fd);
  }
}

/** Runs a command to completion; rejects with a BOOT_FAILED error naming the log on failure. */
export async function runToCompletion(spec: ProcessSpec, timeoutMs = 60_000, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted();
  const handle = startProcess(spec);
  const onAbort = () => handle.signal('SIGKILL');
  signal?.addEventListener('abort', onAbort, { once: true });
  const timer = new AbortController();
  const result = await Promise.race([handle.exited, sleep(timeoutMs, null, { signal: timer.signal }).catch(() => null)]);
  timer.abort();
  signal?.removeEventListener('abort', onAbort);
  signal?.throwIfAborted();
  if (result === null) {
    await handle.stop({ signal: 'SIGKILL' });
    throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${spec.name} did not finish within ${timeoutMs} ms`, { details: handle.logTail() });
  }
  if (result.code !== 0) {
    throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${spec.name} exited with ${result.code ?? result.signal}`, {
      details: [`log: ${spec.logFile}`, ...handle.logTail()],
    });
  }
}

/**
 * Polls `probe` until it returns true. Fails fast if the process it waits for exits, and
 * puts the log tail in the error, because "timed out" alone never says why.
 */
export async function waitUntilReady(
  handle: ProcessHandle,
  probe: () => Promise<boolean>,
  options: { timeoutMs: number; intervalMs?: number; what?: string; signal?: AbortSignal },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const what = options.what ?? 'ready';
  for (;;) {
    options.signal?.throwIfAborted();
    if (!handle.running) {
      const exit = await handle.exited;
      throw new RushhourError('RUSHHOUR_ERR_BOOT_FAILED', `${handle.name} exited (${exit.code ?? exit.signal}) before it was ${what}`, {
        details: [`log: ${handle.logFile}`, ...handle.logTail()],
      });
    }
    if (await probeOnce(probe)) return;
    if (Date.now() > deadline) {
      throw new RushhourError('RUSHHOUR_ERR_COMPONENT_NOT_READY', `${handle.name} was not ${what} within ${options.timeoutMs} ms`, {
        details: [`log: ${handle.logFile}`, ...handle.logTail()],
      });
    }
    await sleep(options.intervalMs ?? 25);
  }
}

export function tailFile(file: string, lines: number): string[] {
  try {
    const size = statSync(file).size;
    const text = readFileSync(file, 'utf8').slice(Math.max(0, size - 16_384));
    return text.trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

function procStat(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * True while a process with this pid runs. A zombie (exited, not yet reaped: orphans here are
 * reparented to an init that may never reap them) counts as dead.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return procStat(pid)?.[0] !== 'Z';
}

/** The kernel's start time of a process (Linux), which with the pid identifies it across pid reuse. */
export function processStartTime(pid: number): string | null {
  return procStat(pid)?.[19] ?? null;
}
