import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { isAlive, type StackState } from '../harness/index.ts';
import { isListening } from '../harness/ports.ts';
import { rushhour, rushhourAsync, scratchDir, smallStackConfig } from './support/cli.ts';
import { eventually } from './support/api.ts';

const readState = (dir: string): StackState => JSON.parse(readFileSync(path.join(dir, '.rushhour', 'state.json'), 'utf8'));
const ports = (state: StackState) => state.components.map((c) => Number(new URL(c.url!).port));

/** Nothing of the stack is left: no process, no listening port, no temp dir, no state file. */
async function expectGone(dir: string, state: StackState) {
  for (const component of state.components) expect(isAlive(component.pid!), `${component.name} (pid ${component.pid}) still running`).toBe(false);
  for (const port of ports(state)) expect(await isListening(port), `port ${port} still listening`).toBe(false);
  expect(existsSync(state.runDir), `${state.runDir} still exists`).toBe(false);
  expect(existsSync(path.join(dir, '.rushhour', 'state.json'))).toBe(false);
}

describe('stack lifecycle through the CLI', () => {
  test('up returns with the stack running under a detached owner; down leaves nothing behind', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    const started = rushhour(['up'], dir, 120_000);
    expect(started.code, started.stdout + started.stderr).toBe(0);
    expect(started.stdout).toContain('gateway');
    const state = readState(dir);
    expect(isAlive(state.pid)).toBe(true);
    expect(state.components.map((c) => c.name)).toEqual(['postgres-primary', 'postgres-replica', 'redis', 'prometheus', 'fault-proxy', 'matching-1', 'booking-1', 'gateway']);
    const status = rushhour(['status'], dir);
    expect(status.code).toBe(0);
    expect(status.stdout.match(/ healthy /g)?.length).toBe(8);
    expect(rushhour(['probe'], dir).code).toBe(0);
    // A second up finds the stack and leaves it alone.
    const again = rushhour(['up'], dir);
    expect(again.stdout).toContain('already up');
    expect(readState(dir).runId).toBe(state.runId);

    const down = rushhour(['down'], dir);
    expect(down.code).toBe(0);
    expect(isAlive(state.pid)).toBe(false);
    await expectGone(dir, state);
  });

  test('after kill -9 of the owner, the next down reaps every orphaned process and temp dir', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    expect(rushhour(['up'], dir, 120_000).code).toBe(0);
    const state = readState(dir);
    process.kill(state.pid, 'SIGKILL');
    await eventually(async () => !isAlive(state.pid), 5_000, 'the owner to die');
    // The owner is gone but its components are orphans, still running.
    expect(state.components.filter((c) => isAlive(c.pid!)).length).toBe(state.components.length);
    expect(rushhour(['status'], dir).stdout).toContain('DEAD');

    const down = rushhour(['down'], scratchDir());
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Reaped 1 orphaned stack(s): ${state.runId}`);
    await expectGone(dir, state);
  });

  test('Ctrl-C on up --attach tears the stack down and exits cleanly', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    const up = rushhourAsync(['up', '--attach'], dir);
    await eventually(async () => up.output().includes('Attached'), 60_000, 'the attached stack to be ready');
    const state = readState(dir);
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(0);
    expect(up.output()).toContain('nothing left running');
    await expectGone(dir, state);
  });

  test('Ctrl-C while up is still booting stops what had started', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    const up = rushhourAsync(['up', '--attach', '--debug'], dir);
    // Interrupt once the database is up but before the stack is ready.
    await eventually(async () => up.output().includes('postgres-primary at'), 60_000, 'the primary to start');
    up.child.kill('SIGINT');
    expect(await up.exited).toBe(130);
    const runDir = up.output().match(/\[rushhour:local\] run dir (\S+)/)?.[1];
    expect(runDir).toBeTruthy();
    expect(up.output()).toContain('RUSHHOUR_ERR_INTERRUPTED');
    expect(existsSync(runDir!)).toBe(false);
    // Nothing was left for the reaper either.
    expect(rushhour(['down'], dir).stdout).not.toContain('Reaped');
  });
});
