// The rule the scenario tests use to accept a timing miss on their last try: only timing checks
// failed, and the run's own record lays the miss on the machine. Both halves must hold.
import { describe, expect, test } from 'vitest';
import type { RunRecord, VerdictCheck } from '../harness/index.ts';
import { excusedLatencyMiss, isTimingCheck, machineExcuse } from './support/machine-excuse.ts';

const check = (kind: VerdictCheck['kind'], name: string, ok = false): VerdictCheck => ({ kind, name, expression: '', target: '< 1', observed: 2, window: 'run', ok });

function record(checks: VerdictCheck[], machine: { lagP99?: number; cpuMax?: number; stealMean?: number | null; hostWarning?: string | null } = {}): RunRecord {
  return {
    machine: { cpus: 2 },
    verdict: { ok: checks.every((c) => c.ok), exitCode: 99, reasons: [], checks },
    generator: {
      cpu: [],
      eventLoopLagMsP99: machine.lagP99 ?? 5,
      eventLoopLagMsMax: 10,
      cpuCoresMax: machine.cpuMax ?? 0.1,
      droppedIterations: 0,
      workers: 1,
      host: { series: [], stealPctMean: machine.stealMean ?? 2, stealPctMax: 5, ioPctMean: 0, ioPctMax: 0, memoryPctMean: 0, memoryPctMax: 0, stalls: [], warning: machine.hostWarning ?? null },
      warning: null,
    },
  } as unknown as RunRecord;
}

describe('timing checks', () => {
  test('latency thresholds and SLOs, drift, replica lag, recovery and a phase p95 are timing checks', () => {
    for (const name of ['http_req_duration', 'http_req_duration{endpoint:pay}', 'server p95 < 500 ms', 'latency drift', 'replica lag < 2 s', 'recovery time', 'steady state during: search p95'])
      expect(isTimingCheck(check('threshold', name)) || isTimingCheck(check('slo', name)), name).toBe(true);
  });

  test('error rates, pools, caches, heap, alerts, faults and invariants are not', () => {
    for (const [kind, name] of [
      ['threshold', 'http_req_failed'],
      ['slo', 'server 5xx ratio < 1 %'],
      ['slo', 'db pool waiting < 20'],
      ['slo', 'cache hit ratio > 30 %'],
      ['slo', 'heap drift'],
      ['threshold', 'steady state during: all error rate'],
      ['threshold', 'faults injected and reverted'],
      ['threshold', 'steady state during: longest statement on the primary'],
      ['alert', 'no alert fires'],
      ['invariant', 'server p95 < 500 ms'],
    ] as const)
      expect(isTimingCheck(check(kind, name)), name).toBe(false);
  });
});

describe('the machine excuse', () => {
  const latencyMiss = [check('threshold', 'http_req_duration{endpoint:book}'), check('slo', 'server p95 < 500 ms'), check('threshold', 'http_req_failed', true)];

  test("a healthy machine excuses nothing: the miss is the SUT's", () => {
    expect(machineExcuse(record(latencyMiss))).toBeNull();
    expect(excusedLatencyMiss(record(latencyMiss))).toBeNull();
  });

  test('steal at a quarter of the CPU, a late event loop, a busy generator core or a machine stall each excuse a timing miss', () => {
    expect(excusedLatencyMiss(record(latencyMiss, { stealMean: 47 }))).toBe(
      'http_req_duration{endpoint:book} (2 against < 1), server p95 < 500 ms (2 against < 1) while CPU steal averaged 47 %',
    );
    expect(machineExcuse(record(latencyMiss, { stealMean: 24.9 }))).toBeNull();
    expect(machineExcuse(record(latencyMiss, { lagP99: 197 }))).toBe('the generator was the bottleneck (event-loop lag p99 197 ms)');
    expect(machineExcuse(record(latencyMiss, { cpuMax: 0.95 }))).toMatch(/^the generator was the bottleneck \(generator CPU reached 95 % of a core\)$/);
    expect(machineExcuse(record(latencyMiss, { hostWarning: 'the machine stalled: io 80 % over 3–6 s' }))).toBe('the machine stalled: io 80 % over 3–6 s');
  });

  test('never an error rate, an invariant or an alert, however starved the machine', () => {
    const starved = { stealMean: 58, lagP99: 300 };
    expect(excusedLatencyMiss(record([...latencyMiss, check('threshold', 'http_req_failed')], starved))).toBeNull();
    expect(excusedLatencyMiss(record([...latencyMiss, check('invariant', 'no acknowledged booking is missing')], starved))).toBeNull();
    expect(excusedLatencyMiss(record([...latencyMiss, check('alert', 'no alert fires')], starved))).toBeNull();
  });

  test('nothing failed, or no generator measured: no excuse to give', () => {
    expect(excusedLatencyMiss(record([check('threshold', 'http_req_failed', true)], { stealMean: 58 }))).toBeNull();
    expect(machineExcuse({ ...record(latencyMiss), generator: undefined } as unknown as RunRecord)).toBeNull();
  });
});
