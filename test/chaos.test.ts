// The chaos experiments end to end, through the CLI: every built-in at --scale 0.1 on a local
// stack it boots (the fault injected and reverted, the hypothesis, the alerts, recovery and the
// invariants all judged), a deliberately weakened SUT that makes an experiment fail with a clear
// reason, and Ctrl-C while a fault is in force: the fault is reverted and the run exits 130.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { builtinExperiments } from '../chaos/experiments/index.ts';
import { faultsInForce, resolveConfig, up, writeState, type RunningStack, type RunRecord } from '../harness/index.ts';
import { rushhourAsync, rushhourAwait, scratchDir } from './support/cli.ts';

const readRecord = (dir: string): RunRecord => JSON.parse(readFileSync(path.join(dir, 'runs', 'latest', 'run.json'), 'utf8'));

const smallStack = (sut = '') => `export default {
  provider: 'local',
  stack: { matching: { replicas: 1 }, booking: { replicas: 1 } },
  fixtures: { routes: 500, drivers: 200, riders: 200 },
  ${sut}
};
`;

describe.each(Object.keys(builtinExperiments))('built-in experiment %s', (name) => {
  test('passes at --scale 0.1 on a stack it boots; its fault went in and came out', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStack() });
    const result = await rushhourAwait(['chaos', name, '--scale', '0.1'], dir, 300_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const record = readRecord(dir);
    expect(record).toMatchObject({ kind: 'chaos', name, status: 'finished' });
    const kinds = record.timeline.map((e) => e.kind);
    expect(kinds).toContain('fault-injected');
    expect(kinds).toContain('fault-reverted');
    const names = record.verdict!.checks.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['faults injected and reverted', 'recovery time', expect.stringMatching(/ fires$/), expect.stringMatching(/ resolves$/), 'no acknowledged booking is missing', 'no route is over capacity']));
    expect(record.verdict!.checks.filter((c) => !c.ok)).toEqual([]);
    expect(faultsInForce(dir)).toEqual([]);
  }, 300_000);
});

test('a weakened SUT (read routing that ignores lag) fails replica-lag, naming the check', async () => {
  const dir = scratchDir({ 'harness.config.ts': smallStack('sut: { maxReplicaLagSeconds: 3600 },') });
  const result = await rushhourAwait(['chaos', 'replica-lag', '--scale', '0.1'], dir, 300_000);
  expect(result.code, result.stdout + result.stderr).toBe(99);
  expect(result.stderr).toMatch(/RUSHHOUR_ERR_THRESHOLDS_FAILED: replica-lag/);
  expect(result.stderr).toContain('steady state during: reads served by the replica while it lags');
  const failed = readRecord(dir).verdict!.checks.filter((c) => !c.ok);
  expect(failed.map((c) => c.name)).toContain('steady state during: reads served by the replica while it lags');
  expect(faultsInForce(dir)).toEqual([]);
}, 300_000);

describe('Ctrl-C while a fault is in force', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await up(resolveConfig({ provider: 'local', fixtures: { seed: 31, routes: 300, drivers: 100, riders: 100 } }, 'test/chaos.test.ts'), 'local');
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  test('the link comes back up, the ledger is empty, and the run exits 130 with its record', async () => {
    const dir = scratchDir();
    writeState({ ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() }, dir);
    const run = rushhourAsync(['chaos', 'redis-failure-network', '--scale', '0.1'], dir);
    const deadline = Date.now() + 120_000;
    while (!run.output().includes('Fault injected: redis: link down') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(run.output()).toContain('Fault injected: redis: link down');
    const link = async () => ((await (await fetch(`${stack.topology.endpoints.faultProxy}/proxies/redis`)).json()) as { enabled: boolean }).enabled;
    expect(await link()).toBe(false);
    expect(faultsInForce(dir).map((e) => e.label)).toEqual(['redis: link down']);
    run.child.kill('SIGINT');
    expect(await run.exited, run.output()).toBe(130);
    expect(await link()).toBe(true);
    expect(faultsInForce(dir)).toEqual([]);
    expect(readRecord(dir)).toMatchObject({ kind: 'chaos', status: 'interrupted' });
  }, 180_000);
});
