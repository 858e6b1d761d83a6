import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RushhourError } from './errors.ts';
import type { Topology } from './topology.ts';

/** `.rushhour/state.json`: exists while a stack is up (contract: DESIGN.md). */
export interface StackState extends Topology {
  /** The owner (supervisor) process; `down` signals it. */
  pid: number;
  startedAt: string;
}

export const stateFile = (cwd = process.cwd()) => path.join(cwd, '.rushhour', 'state.json');

export function readState(cwd = process.cwd()): StackState | null {
  const file = stateFile(cwd);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  try {
    const state = JSON.parse(text) as StackState;
    if (typeof state.pid !== 'number' || typeof state.endpoints !== 'object') throw new Error('missing pid or endpoints');
    return state;
  } catch (cause) {
    throw new RushhourError('RUSHHOUR_ERR_STATE_CORRUPT', `${path.relative(cwd, file)}: not a rushhour state file (${(cause as Error).message})`, { cause });
  }
}

export function writeState(state: StackState, cwd = process.cwd()): void {
  const file = stateFile(cwd);
  mkdirSync(path.dirname(file), { recursive: true });
  // The token in here guards the admin APIs: readable by this user only.
  writeFileSync(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

/** Removes the state file if it still belongs to `pid` (another stack may have replaced it). */
export function removeState(pid: number, cwd = process.cwd()): void {
  try {
    const state = readState(cwd);
    if (state && state.pid !== pid) return;
  } catch {
    // A corrupt file is removed too.
  }
  rmSync(stateFile(cwd), { force: true });
}
