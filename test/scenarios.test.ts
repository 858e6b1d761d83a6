// Every built-in scenario at --scale 0.1 against a real stack, through the CLI: each must pass.
// One stack for them all (booted here, not the shared test stack, so no alert left firing by
// another test's fault can fail a gate); `run` finds it through the state file and reuses it.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig, up, writeState, type RunningStack } from '../harness/index.ts';
import { builtinScenarios } from '../scenarios/index.ts';
import { latestRunPassed, rushhourAwait, scratchDir } from './support/cli.ts';

let stack: RunningStack;
let dir: string;

beforeAll(async () => {
  stack = await up(resolveConfig({ provider: 'local', fixtures: { seed: 5, routes: 2_000, drivers: 500, riders: 2_000 } }, 'test/scenarios.test.ts'), 'local');
  dir = scratchDir();
  writeState({ ...stack.topology, pid: process.pid, startedAt: new Date().toISOString() }, dir);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe.each(Object.keys(builtinScenarios))('built-in scenario %s', (name) => {
  // One retry, as the nightly gate allows its parts: on this shared 2-core VM a stretch of
  // stolen CPU can fail a scaled-down soak's last fifth that a quiet machine passes (CI saw
  // p95 137 ms against 20 ms, with replica lag at 1.8 s, and no harness cause). A scenario
  // that cannot pass fails both tries; the failed try's output stays in the report. The soak
  // gets a third: at --scale 0.1 it runs 4 iterations a second, so each quarter of a fifth that
  // its drift check compares holds about 24 requests, and a p95 of 24 is their second slowest
  // (it failed twice in one run here: p95 584 ms at 46 % CPU steal, then a drift of 33 → 159 ms).
  // The last try may miss a timing check only where the run's record lays it on the machine
  // (CI: write-heavy's book p95 1.01 s, then pay's 610 ms, at 47 % and 48 % mean steal, with
  // the generator's event loop 197 and 104 ms late): latestRunPassed says how, the summary names it.
  test('passes at --scale 0.1', { retry: name === 'soak' ? 2 : 1, timeout: 300_000 }, async ({ task }) => {
    const result = await rushhourAwait(['run', name, '--scale', '0.1'], dir, 300_000);
    const record = latestRunPassed(result, dir, task);
    expect(result.stdout).toContain('Using the stack already up here');
    expect(record.name).toBe(name);
    expect(record.scale).toBe(0.1);
    expect(record.client.requests).toBeGreaterThan(0);
    expect(record.verdict!.checks.length).toBeGreaterThan(0);
  });
});
