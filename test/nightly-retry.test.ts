// The nightly gate's one retry, on recorded runs: failed checks (99) or a canary that went the
// other way (101) earn a second run, and the reason names the failed checks and what the
// generator and the machine measured meanwhile; lost data, errors and passes never do. (The
// night itself runs in test/nightly.test.ts.)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { retryReason } from '../cli/nightly-command.ts';
import { summariseHost } from '../harness/load/host-health.ts';
import type { RunRecord } from '../harness/index.ts';

const steady = Array.from({ length: 20 }, (_, i) => ({ t: i + 1, stealPct: 6, ioPct: 0, memoryPct: 0 }));
const record = (generator: Partial<NonNullable<RunRecord['generator']>>): RunRecord => {
  const base = JSON.parse(readFileSync(path.join('test/fixtures/records', 'spike-local-failed.json'), 'utf8')) as RunRecord;
  return { ...base, machine: { ...base.machine, cpus: 2 }, generator: { ...base.generator!, cpuCoresMax: 0.2, eventLoopLagMsP99: 12, workers: 1, host: summariseHost(steady), ...generator } };
};
const outcome = (exitCode: number, generator: Partial<NonNullable<RunRecord['generator']>> = {}) => ({ exitCode, dir: '/nowhere', record: record(generator) });
const failedChecks = (o: ReturnType<typeof outcome>) => o.record.verdict!.checks.filter((c) => !c.ok);

test('failed checks earn a second run; the reason names them and the generator as the bottleneck when it was', () => {
  const lagged = outcome(99, { eventLoopLagMsP99: 230 });
  const first = failedChecks(lagged)[0]!;
  expect(retryReason(lagged)).toContain(`exit 99 (failed: ${first.name}: ${first.observed ?? 'no data'} against ${first.target}`);
  expect(retryReason(lagged)).toMatch(/\) while the generator was the bottleneck \(event-loop lag p99 230 ms\)$/);
  expect(retryReason(outcome(101, { cpuCoresMax: 0.95 }))).toMatch(/^exit 101 .* while the generator was the bottleneck \(generator CPU reached 95 % of a core\)$/);
});

test('a machine that stalled is named; a generator and machine that kept up are said to have kept up', () => {
  const stolen = steady.map((p) => (p.t >= 8 && p.t <= 12 ? { ...p, stealPct: 65 } : p));
  expect(retryReason(outcome(99, { host: summariseHost(stolen) }))).toMatch(/ while the machine stalled: CPU steal 65 % over 7–12 s$/);
  expect(retryReason(outcome(99))).toMatch(/, with no bottleneck seen on the generator or the machine$/);
});

test('never for a pass, lost data or a harness error', () => {
  expect(retryReason(outcome(0, { eventLoopLagMsP99: 230 }))).toBeNull();
  expect(retryReason(outcome(100, { eventLoopLagMsP99: 230 }))).toBeNull();
  expect(retryReason(outcome(3, { eventLoopLagMsP99: 230 }))).toBeNull();
});
