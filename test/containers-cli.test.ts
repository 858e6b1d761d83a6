// `rushhour up --provider containers` / `down` end to end through the CLI: the detached owner,
// the state file, and the label reaper after the owner is killed with SIGKILL. And a canary on
// the containers provider: its candidate runs in a container of its own beside the baseline's,
// and goes with the rollback.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { dockerAnswers, isAlive, type StackState } from '../harness/index.ts';
import { dockerClient, LABEL } from '../harness/containers/docker.ts';
import { isListening } from '../harness/ports.ts';
import { eventually } from './support/api.ts';
import { regressedButHopedPlan, rushhour, rushhourAsync, scratchDir, smallStackConfig } from './support/cli.ts';
import type { RunRecord } from '../harness/index.ts';
import { readdirSync } from 'node:fs';

const run = (await dockerAnswers()) || process.env.RUSHHOUR_REQUIRE_DOCKER === '1';
const readState = (dir: string): StackState => JSON.parse(readFileSync(path.join(dir, '.rushhour', 'state.json'), 'utf8'));

async function labelled(runId: string) {
  const docker = await dockerClient();
  const filter = { label: [`${LABEL.runId}=${runId}`] };
  return { containers: await docker.listContainers({ all: true, filters: filter }), networks: await docker.listNetworks({ filters: filter }) };
}

async function expectGone(state: StackState) {
  const left = await labelled(state.runId);
  expect(left.containers.map((c) => c.Names[0])).toEqual([]);
  expect(left.networks.map((n) => n.Name)).toEqual([]);
  for (const component of state.components) expect(await isListening(Number(new URL(component.url!).port)), `${component.name} still published`).toBe(false);
}

describe.runIf(run)('containers provider through the CLI', () => {
  test('up --provider containers boots every component in its own labelled container; down removes them all', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    const started = rushhour(['up', '--provider', 'containers'], dir, 600_000);
    expect(started.code, started.stdout + started.stderr).toBe(0);
    const state = readState(dir);
    expect(state.provider).toBe('containers');
    expect(state.components.every((c) => typeof c.containerId === 'string' && c.pid === null)).toBe(true);
    const { containers, networks } = await labelled(state.runId);
    expect(containers.length).toBe(state.components.length);
    expect(networks.length).toBe(1);
    for (const container of containers) {
      expect(container.Labels[LABEL.ownerPid]).toBe(String(state.pid));
      expect(container.Labels[LABEL.host]).toBeTruthy();
      // Published on the host's loopback only.
      for (const port of container.Ports.filter((p) => p.PublicPort)) expect(port.IP).toBe('127.0.0.1');
    }
    const status = rushhour(['status'], dir);
    expect(status.stdout.match(/ healthy /g)?.length).toBe(state.components.length);
    expect(rushhour(['probe'], dir).code).toBe(0);
    expect(rushhour(['down'], dir).code).toBe(0);
    expect(isAlive(state.pid)).toBe(false);
    await expectGone(state);
    // A containers boot takes 15–35 s on this machine (longer late in a full suite): not 30 s.
  }, 300_000);

  test('after kill -9 of the owner, the containers keep running until the next down reaps them by label', async () => {
    const dir = scratchDir({ 'harness.config.ts': smallStackConfig });
    expect(rushhour(['up', '--provider', 'containers'], dir, 600_000).code).toBe(0);
    const state = readState(dir);
    process.kill(state.pid, 'SIGKILL');
    await eventually(async () => !isAlive(state.pid), 5_000, 'the owner to die');
    expect((await labelled(state.runId)).containers.filter((c) => c.State === 'running').length).toBe(state.components.length);

    const down = rushhour(['down'], scratchDir());
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`Reaped 1 orphaned stack(s): ${state.runId}`);
    expect(down.stdout).toContain(`${state.components.length} container(s), 1 network(s)`);
    await expectGone(state);
  }, 300_000);

  test('a canary on containers: the candidate runs in its own labelled container on the stack network, is rolled back, and no container outlives the run', async () => {
    const dir = scratchDir({
      'harness.config.ts': smallStackConfig.replace("provider: 'local'", "provider: 'containers'"),
      'regressed.ts': regressedButHopedPlan('regressed-in-containers'),
    });
    const docker = await dockerClient();
    const candidates = async () => (await docker.listContainers({ all: true, filters: { label: [LABEL.runId] } })).filter((c) => c.Names.some((n) => n.endsWith('-matching-canary-1')));
    const run = rushhourAsync(['canary', 'regressed.ts', '--scale', '0.1'], dir);
    // While it runs: the candidate is a running container, labelled like the stack's own.
    let seen: Awaited<ReturnType<typeof candidates>>[number] | undefined;
    const deadline = Date.now() + 400_000;
    while (!seen && Date.now() < deadline && run.child.exitCode === null) {
      seen = (await candidates()).find((c) => c.State === 'running');
      if (!seen) await new Promise((resolve) => setTimeout(resolve, 500));
    }
    expect(seen, run.output()).toBeDefined();
    expect(seen!.Labels[LABEL.ownerPid]).toBeTruthy();
    expect(Object.keys(seen!.NetworkSettings.Networks).some((n) => n.startsWith('rushhour-'))).toBe(true);
    expect(await run.exited, run.output()).toBe(101);
    const id = readdirSync(path.join(dir, 'runs')).find((entry) => /^\d{8}-/.test(entry))!;
    const record = JSON.parse(readFileSync(path.join(dir, 'runs', id, 'run.json'), 'utf8')) as RunRecord;
    expect(record).toMatchObject({ kind: 'canary', provider: 'containers' });
    expect(record.canary).toMatchObject({ outcome: 'rolled-back', expect: 'promote', candidate: { version: '2.0.2', variant: 'v2-regressed' } });
    const [analysis] = record.canary!.journal.filter((e) => e.kind === 'analysis');
    const search = analysis!.analysis!.comparison!.metrics.find((m) => m.name === 'search latency')!;
    expect(search.classification).toBe('high');
    expect(search.test!.n.experiment).toBeGreaterThanOrEqual(20);
    // The run booted its stack and took it down: no candidate, and nothing of the stack, is left.
    expect(await candidates()).toEqual([]);
    expect(await labelledByOwner(seen!.Labels[LABEL.ownerPid]!)).toEqual([]);
  }, 600_000);
});

async function labelledByOwner(pid: string) {
  const docker = await dockerClient();
  return (await docker.listContainers({ all: true, filters: { label: [`${LABEL.ownerPid}=${pid}`] } })).map((c) => c.Names[0]);
}
