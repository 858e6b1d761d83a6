import { readdirSync, readFileSync } from 'node:fs';
import type { ComponentState } from '../controls.ts';
import { startProcess, waitUntilReady, type ProcessHandle, type ProcessSpec } from '../process.ts';

export interface Readiness {
  probe: () => Promise<boolean>;
  /** Finishes "<name> was not ... within N ms". */
  what: string;
  intervalMs?: number;
}

export interface StopPolicy {
  /** The component's clean shutdown signal (PostgreSQL: SIGINT, its fast shutdown). */
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

/** Children of every process, from /proc (Linux); empty elsewhere. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return children;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {
      // Exited while we read.
    }
  }
  return children;
}

/** The process and all its descendants, parents first. */
export function processTree(pid: number): number[] {
  const children = childrenByParent();
  const tree: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    tree.push(next);
    queue.push(...(children.get(next) ?? []));
  }
  return tree;
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const member of processTree(pid)) {
    try {
      process.kill(member, signal);
    } catch {
      // Gone already.
    }
  }
}

function processState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/**
 * A long-running local component that can be stopped and started again from the same spec.
 * Faults act on the whole process tree, as they do on a container: PostgreSQL's backends are
 * children of the postmaster, and pausing the postmaster alone would leave every open
 * connection answering.
 */
export class LocalComponent {
  readonly name: string;
  #spec: ProcessSpec;
  #stopPolicy: StopPolicy;
  #readiness: Readiness;
  #handle: ProcessHandle;
  #onStart: (handle: ProcessHandle) => void;

  constructor(spec: ProcessSpec, options: { stop?: StopPolicy; ready: Readiness; onStart: (handle: ProcessHandle) => void }) {
    this.name = spec.name;
    this.#spec = spec;
    this.#stopPolicy = options.stop ?? {};
    this.#readiness = options.ready;
    this.#onStart = options.onStart;
    this.#handle = this.#start();
  }

  /** The process running now (a new one after each restart). */
  get handle(): ProcessHandle {
    return this.#handle;
  }

  #start(): ProcessHandle {
    const handle = startProcess(this.#spec);
    this.#onStart(handle);
    return handle;
  }

  waitReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return waitUntilReady(this.#handle, this.#readiness.probe, { timeoutMs, signal, what: this.#readiness.what, intervalMs: this.#readiness.intervalMs });
  }

  state(): ComponentState {
    if (!this.#handle.running) return 'stopped';
    return processState(this.#handle.pid) === 'T' ? 'paused' : 'running';
  }

  /** Clean stop with the component's own signal; a paused tree is resumed first so it can obey. */
  async stop(): Promise<void> {
    if (!this.#handle.running) return;
    signalTree(this.#handle.pid, 'SIGCONT');
    await this.#handle.stop(this.#stopPolicy);
  }

  /** A crash: SIGKILL to the whole tree, nothing cleaned up. */
  async kill(): Promise<void> {
    if (!this.#handle.running) return;
    signalTree(this.#handle.pid, 'SIGKILL');
    await this.#handle.exited;
  }

  /** A hang: every process of the tree stopped, sockets still open. */
  async pause(): Promise<void> {
    if (!this.#handle.running) return;
    signalTree(this.#handle.pid, 'SIGSTOP');
    // Signals are delivered asynchronously: return once the kernel reports the process stopped
    // (at most 2 s), so a caller that reads the state next sees the hang it asked for.
    const deadline = Date.now() + 2_000;
    while (processState(this.#handle.pid) !== 'T' && this.#handle.running && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  }

  async resume(): Promise<void> {
    if (this.#handle.running) signalTree(this.#handle.pid, 'SIGCONT');
  }

  /** Stops the component if it runs, starts it again from the same spec, waits until ready. */
  async restart(timeoutMs = 30_000): Promise<void> {
    await this.stop();
    this.#handle = this.#start();
    await this.waitReady(timeoutMs);
  }
}
