// Canary rollouts end to end, through the CLI, on local stacks they boot: a regressed candidate
// whose plan expects a promotion exits 101 naming the analysis; a person aborts a rollout with
// the signal file; a plan with problems is refused; a feature flag whose "on" arm reads from a
// slow replica is rolled back and left off. No candidate instance survives any of them.
// The built-in plans (v2 promoted, v2-regressed rolled back) run in test/nightly.test.ts.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig, up, writeState, type RunningStack, type RunRecord } from '../harness/index.ts';
import { regressedButHopedPlan, rushhourAsync, rushhourAwait, scratchDir } from './support/cli.ts';
import { candidateProcesses } from './support/processes.ts';

const twoMatching = `export default {
  provider: 'local',
  stack: { matching: { replicas: 2 }, booking: { replicas: 1 } },
  fixtures: { routes: 500, drivers: 200, riders: 200 },
};
`;

const records = (dir: string): RunRecord[] =>
  readdirSync(path.join(dir, 'runs'))
    .filter((entry) => /^\d{8}-/.test(entry))
    .sort()
    .map((entry) => JSON.parse(readFileSync(path.join(dir, 'runs', entry, 'run.json'), 'utf8')) as RunRecord);

test('a regressed candidate whose plan expects a promotion is rolled back: exit 101 naming why', async () => {
  const dir = scratchDir({
    'harness.config.ts': twoMatching,
    'regressed.ts': regressedButHopedPlan('regressed-but-hoped'),
  });
  const result = await rushhourAwait(['canary', 'regressed.ts', '--scale', '0.1'], dir, 300_000);
  expect(result.code, result.stdout + result.stderr).toBe(101);
  expect(result.stderr).toMatch(/RUSHHOUR_ERR_CANARY_ROLLED_BACK: regressed-but-hoped/);
  expect(result.stderr).toMatch(/critical metric search latency is high/);
  const [record] = records(dir);
  expect(record!.canary).toMatchObject({ outcome: 'rolled-back', expect: 'promote' });
  expect(record!.verdict).toMatchObject({ ok: false, exitCode: 101 });
  expect(candidateProcesses()).toEqual([]);
}, 300_000);

// The abort is the subject, so no analysis stands before it: with matching-v2's own plan, a
// first analysis that once judged v2's nearby latency high (p = 0.00025 on 26 candidate samples)
// rolled back at 10 % and the rollout never reached the 25 % this test waits for.
const abortablePlan = `export default {
  name: 'abortable',
  description: 'matching v2 at 10 %, then 25 % held long enough to abort',
  service: 'matching',
  candidate: { version: '2.0.0', variant: 'v2' },
  load: { scenario: 'mixed', rate: 30 },
  steps: [{ setWeight: 10 }, { pause: '60s' }, { setWeight: 25 }, { pause: '300s' }, { analysis: true }, { setWeight: 100 }],
  analysis: { comparison: { metrics: [{ name: 'search latency', measure: 'latency', endpoint: 'search', direction: 'increase', allowedIncrease: 1.2, critical: true }], score: { pass: 90, marginal: 75 } } },
};
`;

test('the abort file rolls a rollout back at once, and the candidate is stopped', async () => {
  const dir = scratchDir({ 'harness.config.ts': twoMatching, 'abortable.ts': abortablePlan });
  const run = rushhourAsync(['canary', 'abortable.ts', '--scale', '0.1'], dir);
  let ended = false;
  void run.exited.then(() => (ended = true));
  const deadline = Date.now() + 180_000;
  while (!run.output().includes('Canary weight 25 %') && !ended && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200));
  expect(run.output(), 'the rollout ended or stalled before 25 %').toContain('Canary weight 25 %');
  mkdirSync(path.join(dir, '.rushhour'), { recursive: true });
  writeFileSync(path.join(dir, '.rushhour', 'canary-abort'), 'stop\n');
  expect(await run.exited, run.output()).toBe(101);
  const [record] = records(dir);
  expect(record!.canary).toMatchObject({ outcome: 'rolled-back', reason: 'manual abort (signal file)' });
  expect(record!.canary!.journal.filter((e) => e.kind === 'weight').map((e) => e.weight)).toEqual([10, 25]);
  expect(existsSync(path.join(dir, '.rushhour', 'canary-abort'))).toBe(false);
  expect(candidateProcesses()).toEqual([]);
}, 400_000);

test('a plan with problems is refused before anything boots: exit 2, every field named', async () => {
  const dir = scratchDir({
    'harness.config.ts': twoMatching,
    'bad.ts': `export default { name: 'bad', description: '', service: 'payments', candidate: { version: '2' }, load: { rate: 30 }, steps: [{ setWeight: 50 }, { pause: 'soon' }], analysis: { noData: 'maybe' } };\n`,
  });
  const result = await rushhourAwait(['canary', 'bad.ts'], dir, 60_000);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('RUSHHOUR_ERR_SCENARIO_INVALID');
  expect(result.stderr).toContain('bad.ts: service:');
  expect(result.stderr).toContain('bad.ts: steps.1.pause: a duration such as 30s');
  expect(result.stderr).toContain('bad.ts: analysis.noData:');
  expect(existsSync(path.join(dir, 'runs'))).toBe(false);
});

describe('a feature flag rolled out as a canary, on a stack that is already up', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await up(resolveConfig({ provider: 'local', stack: { matching: { replicas: 1 }, booking: { replicas: 1 } }, fixtures: { seed: 37, routes: 500, drivers: 200, riders: 200 } }, 'test/canary.test.ts'), 'local');
  }, 120_000);
  afterAll(async () => {
    await stack?.stop();
  }, 60_000);

  const flag = async () => {
    const response = await fetch(`${stack.topology.endpoints.gatewayAdmin}/admin/flags`, { headers: { authorization: `Bearer ${stack.topology.adminToken}` } });
    return ((await response.json()) as { flags: { name: string; percent: number | null }[] }).flags.find((f) => f.name === 'read-routing.nearby')!;
  };

  test('read-routing.nearby against a replica 150 ms away: its "on" arm is slower, rolled back at the first analysis, and the flag is left off', async () => {
    const dir = scratchDir();
    writeState({ ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() }, dir);
    // The replica answers matching 150 ms late: what the flag's "on" arm reads from.
    const toxics = `${stack.topology.endpoints.faultProxy}/proxies/matching.postgres-replica/toxics`;
    const added = await fetch(toxics, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'far-replica', type: 'latency', stream: 'downstream', attributes: { latency: 150 } }) });
    expect(added.status).toBe(200);
    try {
      const result = await rushhourAwait(['canary', 'read-routing-nearby', '--scale', '0.1'], dir, 400_000);
      expect(result.code, result.stdout + result.stderr).toBe(101);
      expect(result.stderr).toMatch(/RUSHHOUR_ERR_CANARY_ROLLED_BACK: read-routing-nearby/);
      const [record] = records(dir);
      expect(record!.canary).toMatchObject({ baseline: 'read-routing.nearby=off', candidate: { version: 'read-routing.nearby=on', flag: 'read-routing.nearby' }, outcome: 'rolled-back' });
      const first = record!.canary!.journal.find((e) => e.kind === 'analysis')!;
      expect(first).toMatchObject({ weight: 10, decision: 'rollback' });
      const nearby = first.analysis!.comparison!.metrics.find((m) => m.name === 'nearby latency')!;
      expect(nearby.classification).toBe('high');
      expect(nearby.test!.estimate).toBeGreaterThan(100);
      // The flag's own threshold read the gateway's per-arm counter: data, not "no data".
      expect(first.analysis!.thresholds[0]!.observed).not.toBeNull();
      expect(await flag()).toMatchObject({ percent: 0 });
    } finally {
      await fetch(`${toxics}/far-replica`, { method: 'DELETE' });
    }
  }, 420_000);

  test('a flag the gateway does not have is refused before any load: exit 2 naming the flags it has', async () => {
    const dir = scratchDir({
      'unknown-flag.ts': `export default {
  name: 'unknown-flag', description: 'a flag nobody defined', service: 'matching', flag: 'read-routing.bookings',
  load: { scenario: 'read-heavy', rate: 40 }, steps: [{ setWeight: 50 }, { pause: '20s' }, { analysis: true }],
  analysis: { comparison: { metrics: [{ name: 'errors', measure: 'errors' }], score: { pass: 90, marginal: 75 } } },
};
`,
    });
    writeState({ ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() }, dir);
    const result = await rushhourAwait(['canary', 'unknown-flag.ts', '--scale', '0.1'], dir, 120_000);
    expect(result.code, result.stdout + result.stderr).toBe(2);
    expect(result.stderr).toMatch(/RUSHHOUR_ERR_SCENARIO_INVALID: unknown-flag.ts: flag: the gateway has no flag "read-routing.bookings"/);
    expect(result.stderr).toContain('flags the gateway knows: read-routing.search, read-routing.nearby');
  }, 150_000);
});
