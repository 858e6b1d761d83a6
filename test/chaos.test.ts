// The chaos experiments end to end, through the CLI: deliberately weakened SUT settings that
// make experiments fail with a clear reason, and Ctrl-C while a fault is in force: the fault is
// reverted and the run exits 130. Every built-in experiment passing at --scale 0.1 on a stack it
// boots (fault in and out, hypothesis, alerts, recovery, invariants) is tested by the nightly
// gate's run in test/nightly.test.ts.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { faultsInForce, resolveConfig, up, writeState, type RunningStack, type RunRecord } from '../harness/index.ts';
import { rushhour, rushhourAsync, rushhourAwait, scratchDir } from './support/cli.ts';

const readRecord = (dir: string): RunRecord => JSON.parse(readFileSync(path.join(dir, 'runs', 'latest', 'run.json'), 'utf8'));

// One instance of each service keeps the boot short; instance-crash needs a second matching
// instance for the gateway to route to.
const smallStack = (sut = '', matching = 1, postgres = '') => `export default {
  provider: 'local',
  stack: { matching: { replicas: ${matching} }, booking: { replicas: 1 }${postgres ? `, postgres: ${postgres}` : ''} },
  fixtures: { routes: 500, drivers: 200, riders: 200 },
  ${sut}
};
`;

// Each weakened setting is one a team could ship by mistake; each must make its experiment fail
// on the check that names what broke.
describe.each([
  { setting: 'read routing that ignores lag', experiment: 'replica-lag', sut: 'sut: { maxReplicaLagSeconds: 3600 },', matching: 1, failed: 'steady state during: reads served by the replica while it lags' },
  { setting: 'a cache without fallback', experiment: 'redis-failure-crash', sut: 'sut: { cacheFallback: false },', matching: 1, failed: 'steady state during: search error rate' },
  { setting: 'a pool without a timeout', experiment: 'pool-exhaustion', sut: 'sut: { pool: { connectionTimeoutMs: 0 } },', matching: 1, failed: 'steady state during: book p99' },
  { setting: 'a database client without a query timeout', experiment: 'network-partition', sut: 'sut: { pool: { queryTimeoutMs: 0 } },', matching: 1, failed: 'steady state during: all requests max' },
  { setting: 'a gateway without retries, on 5 s health checks', experiment: 'instance-crash', sut: 'sut: { gatewayRetry: false, gatewayHealthIntervalMs: 5000 },', matching: 2, failed: 'steady state during: all requests error rate' },
  { setting: 'a reporting role without a statement timeout', experiment: 'slow-query-storm', sut: '', postgres: '{ reportingStatementTimeoutMs: 0 }', matching: 1, failed: 'steady state during: longest statement on the primary' },
])('a weakened SUT: $setting', ({ experiment, sut, matching, failed, postgres }) => {
  test(`fails ${experiment}, naming the check`, async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStack(sut, matching, postgres) });
    const result = await rushhourAwait(['chaos', experiment, '--scale', '0.1'], dir, 300_000);
    expect(result.code, result.stdout + result.stderr).toBe(99);
    expect(result.stderr).toMatch(new RegExp(`RUSHHOUR_ERR_THRESHOLDS_FAILED: ${experiment}`));
    expect(result.stderr).toContain(failed);
    const checks = readRecord(dir).verdict!.checks;
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toContain(failed);
    // The fault itself went in and came out cleanly: the SUT failed, not the harness.
    expect(checks.find((c) => c.name === 'faults injected and reverted')!.ok).toBe(true);
    expect(faultsInForce(dir)).toEqual([]);
  }, 300_000);
});

describe('a bad bound on the database in an experiment file', () => {
  const file = (during: string) => `import { defineExperiment } from '${path.resolve('chaos/index.ts')}';
export default defineExperiment({
  name: 'bad-bound', description: 'a storm judged by a bound that cannot be read',
  load: { scenario: 'mixed', rate: 10 },
  method: [{ fault: { type: 'slow-query-storm', work: 'scan', reportsPerSecond: 1 }, at: '10s', for: '20s' }],
  hypothesis: { during: ${during} as never },
  recovery: { within: '10s' },
});
`;
  test.each([
    { bound: `{ database: { longestStatement: 'soon' } }`, code: 'RUSHHOUR_ERR_CONFIG_INVALID', names: 'bad.ts: hypothesis.during.database.longestStatement: "soon" is not a duration' },
    { bound: `{ database: { longest: '5s' } }`, code: 'RUSHHOUR_ERR_SCENARIO_INVALID', names: 'bad.ts: hypothesis.during.database: Unrecognized key: "longest"' },
  ])('$bound: exit 2 naming the field, and no stack is booted', ({ bound, code, names }) => {
    const dir = scratchDir({ 'bad.ts': file(bound), 'harness.config.ts': smallStack() });
    const result = rushhour(['chaos', './bad.ts'], dir);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^${code}: `, 'm'));
    expect(result.stderr).toContain(names);
    expect(result.stdout).not.toContain('Booting');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});

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
    const link = async () => ((await (await fetch(`${stack.topology.endpoints.faultProxy}/proxies/matching.redis`)).json()) as { enabled: boolean }).enabled;
    expect(await link()).toBe(false);
    expect(faultsInForce(dir).map((e) => e.label)).toEqual(['redis: link down']);
    run.child.kill('SIGINT');
    expect(await run.exited, run.output()).toBe(130);
    expect(await link()).toBe(true);
    expect(faultsInForce(dir)).toEqual([]);
    expect(readRecord(dir)).toMatchObject({ kind: 'chaos', status: 'interrupted' });
  }, 180_000);
});
