import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { dockerClient } from './containers/docker.ts';
import { debug } from './log.ts';
import { isAlive } from './process.ts';

const log = debug('faults');

// The fault ledger, `.rushhour/faults.json`: every fault in force on this directory's stack,
// written *before* it is injected and struck out once it is reverted. Each entry carries its
// undo as data (a proxy link to restore, SQL to run, a process to continue), so that any
// process can put things back: the run that injected it on every exit path, and `up`, `down`
// or the next run when that run died with a fault in force (Chaos Toolkit's rollbacks, made
// crash-proof).

export type Undo =
  /** Re-enable the link and delete the toxics this fault added (by name). */
  | { kind: 'proxy-link'; api: string; link: string; toxics: string[]; enable: boolean }
  /** Statements to run against a PostgreSQL server (each on its own, errors noted, not fatal). */
  | { kind: 'sql'; url: string; statements: string[] }
  /** SIGCONT to a local process that was stopped with SIGSTOP. */
  | { kind: 'continue-process'; pid: number }
  /** docker unpause of a container that was frozen. */
  | { kind: 'unpause-container'; id: string }
  /** A component the owner must restart; nothing another process can do but report it. */
  | { kind: 'restart-component'; component: string };

export interface LedgerEntry {
  id: string;
  /** What a reader sees: "redis: crash". */
  label: string;
  /** The process that injected it: a dead owner's entries are leftovers. */
  pid: number;
  /** The stack's run id: entries of another stack are never touched. */
  stack: string;
  injectedAt: string;
  undo: Undo[];
}

export const ledgerFile = (cwd = process.cwd()) => path.join(cwd, '.rushhour', 'faults.json');

function read(cwd: string): LedgerEntry[] {
  const file = ledgerFile(cwd);
  if (!existsSync(file)) return [];
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { faults?: LedgerEntry[] };
    return Array.isArray(parsed.faults) ? parsed.faults : [];
  } catch {
    // A torn write cannot happen (rename), so this is someone's hand edit: keep nothing, say so.
    log(`fault ledger ${file} is not valid JSON; ignoring it`);
    return [];
  }
}

function write(cwd: string, entries: LedgerEntry[]): void {
  const file = ledgerFile(cwd);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, `${JSON.stringify({ faults: entries }, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

export function recordFault(entry: LedgerEntry, cwd = process.cwd()): void {
  write(cwd, [...read(cwd).filter((e) => e.id !== entry.id), entry]);
}

export function strikeFault(id: string, cwd = process.cwd()): void {
  const entries = read(cwd);
  if (entries.some((e) => e.id === id)) write(cwd, entries.filter((e) => e.id !== id));
}

export function faultsInForce(cwd = process.cwd()): LedgerEntry[] {
  return read(cwd);
}

/** Runs one undo step; resolves with a problem description, or null when it is done. */
export async function runUndo(undo: Undo): Promise<string | null> {
  try {
    switch (undo.kind) {
      case 'proxy-link': {
        for (const toxic of undo.toxics) {
          const response = await fetch(`${undo.api}/proxies/${undo.link}/toxics/${toxic}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) });
          if (response.status !== 204 && response.status !== 404) return `deleting toxic ${toxic} on ${undo.link}: HTTP ${response.status}`;
        }
        if (undo.enable) {
          const response = await fetch(`${undo.api}/proxies/${undo.link}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ enabled: true }), signal: AbortSignal.timeout(5_000) });
          if (response.status !== 200 && response.status !== 404) return `re-enabling ${undo.link}: HTTP ${response.status}`;
        }
        return null;
      }
      case 'sql': {
        const client = new pg.Client({ connectionString: undo.url, connectionTimeoutMillis: 5_000, application_name: 'rushhour-undo' });
        await client.connect();
        const problems: string[] = [];
        try {
          for (const statement of undo.statements) await client.query(statement).catch((error: Error) => problems.push(`${statement}: ${error.message}`));
        } finally {
          await client.end().catch(() => {});
        }
        return problems.length ? problems.join('; ') : null;
      }
      case 'continue-process':
        if (isAlive(undo.pid)) process.kill(undo.pid, 'SIGCONT');
        return null;
      case 'unpause-container': {
        const container = (await dockerClient()).getContainer(undo.id);
        const state = (await container.inspect().catch(() => null))?.State;
        if (state?.Paused) await container.unpause();
        return null;
      }
      case 'restart-component':
        return `${undo.component} was crashed by a run that died; restart the stack (rushhour down && rushhour up)`;
    }
  } catch (error) {
    return `${undo.kind}: ${(error as Error).message}`;
  }
}

/**
 * Reverts every fault whose injecting process is dead, for the stack `stackId` (or any stack
 * when null). Returns what was reverted and what could not be.
 */
export async function revertLeftoverFaults(options: { stackId?: string | null; cwd?: string; includeLive?: boolean } = {}): Promise<{ reverted: string[]; problems: string[] }> {
  const cwd = options.cwd ?? process.cwd();
  const reverted: string[] = [];
  const problems: string[] = [];
  for (const entry of read(cwd)) {
    if (options.stackId && entry.stack !== options.stackId) continue;
    if (!options.includeLive && isAlive(entry.pid)) continue;
    const issues = (await Promise.all(entry.undo.map(runUndo))).filter((p): p is string => p !== null);
    if (issues.length) problems.push(`${entry.label}: ${issues.join('; ')}`);
    reverted.push(entry.label);
    strikeFault(entry.id, cwd);
  }
  return { reverted, problems };
}

/**
 * Drops the entries of dead runs on stacks other than `liveStackId`: their stack is gone (its
 * processes and containers reaped), and a fault inside it went with it. Keeping them would only
 * make the next revert aim at ports that belong to somebody else by now.
 */
export function forgetFaultsOfGoneStacks(liveStackId: string | null, cwd = process.cwd()): string[] {
  const entries = read(cwd);
  const gone = entries.filter((entry) => entry.stack !== liveStackId && !isAlive(entry.pid));
  if (gone.length) write(cwd, entries.filter((entry) => !gone.includes(entry)));
  return gone.map((entry) => entry.label);
}

/**
 * What `up` and `down` do with the ledger before anything else: a dead run's faults on the
 * stack that is up are reverted, and those of stacks that are gone are forgotten.
 */
export async function settleLeftoverFaults(liveStackId: string | null, cwd = process.cwd()): Promise<{ reverted: string[]; problems: string[]; forgotten: string[] }> {
  const { reverted, problems } = liveStackId ? await revertLeftoverFaults({ stackId: liveStackId, cwd }) : { reverted: [], problems: [] };
  return { reverted, problems, forgotten: forgetFaultsOfGoneStacks(liveStackId, cwd) };
}
