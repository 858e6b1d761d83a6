// Every built-in scenario at --scale 0.1 against a real stack, through the CLI: each must pass.
// One stack for them all (booted here, not the shared test stack, so no alert left firing by
// another test's fault can fail a gate); `run` finds it through the state file and reuses it.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveConfig, up, writeState, type RunningStack, type RunRecord } from '../harness/index.ts';
import { builtinScenarios } from '../scenarios/index.ts';
import { rushhourAwait, scratchDir } from './support/cli.ts';

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
  test('passes at --scale 0.1', async () => {
    const result = await rushhourAwait(['run', name, '--scale', '0.1'], dir, 300_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    expect(result.stdout).toContain('Using the stack already up here');
    const record: RunRecord = JSON.parse(readFileSync(path.join(dir, 'runs', 'latest', 'run.json'), 'utf8'));
    expect(record.name).toBe(name);
    expect(record.scale).toBe(0.1);
    expect(record.client.requests).toBeGreaterThan(0);
    expect(record.verdict!.checks.length).toBeGreaterThan(0);
  }, 300_000);
});
