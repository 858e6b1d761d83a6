// The breakpoint search, the spike's recovery time and the soak's drift, on synthetic samples
// with known answers (the end-to-end paths run in run-cli.test.ts and scenarios.test.ts).
import { describe, expect, test } from 'vitest';
import { planExecutor, type ExecutorConfig, type Plan } from '../harness/load/executors.ts';
import { MetricRegistry } from '../harness/metrics/registry.ts';
import { analyseDrift, analyseRecovery, breakpointStages, BreakpointSearch, driftWindows, recoveryWindows } from '../harness/run/analysis.ts';

const planOf = (executor: Record<string, unknown>, scale = 1): Plan => planExecutor({ timeUnit: '1s', preAllocatedVUs: 10, startRate: 0, ...executor } as ExecutorConfig, scale, 'test');

/** `count` requests started in `second`, each taking `latencyMs`, `failed` of them failed. */
function feed(metrics: MetricRegistry, second: number, count: number, latencyMs: number, failed = 0): void {
  for (let i = 0; i < count; i++) {
    metrics.request({ endpoint: 'e', method: 'GET', status: i < failed ? 503 : 200, failed: i < failed, latencyMs, waitingMs: latencyMs, second, startSecond: second, bytes: 2 });
  }
  metrics.flushBefore(second + 1);
}

describe('breakpoint search', () => {
  // Steps of 10/s held 4 s behind a 1 s ramp: plateaus at [1,5), [6,10), [11,15), [16,20).
  const stages = breakpointStages({ from: 10, to: 40, step: 10, hold: '4s', ramp: '1s' });
  const plan = planOf({ type: 'ramping-arrival-rate', stages });

  test('the stages alternate ramps and holds', () => {
    expect(stages).toEqual([
      { duration: '1s', target: 10 }, { duration: '4s', target: 10 },
      { duration: '1s', target: 20 }, { duration: '4s', target: 20 },
      { duration: '1s', target: 30 }, { duration: '4s', target: 30 },
      { duration: '1s', target: 40 }, { duration: '4s', target: 40 },
    ]);
  });

  test('stops at the first step past the error rate, two seconds after it ends; the knee is the step before', async () => {
    const metrics = new MetricRegistry();
    const search = new BreakpointSearch({ kneeAtLeast: 15 }, plan, metrics, 1, 'test');
    expect(search.stepCount).toBe(4);
    let stoppedAt: number | null = null;
    for (let second = 0; second < 20 && stoppedAt === null; second++) {
      // Step 3 (30/s, seconds 11-14) fails 20 % of its requests; the others none.
      feed(metrics, second, 10, 20, second >= 11 && second < 15 ? 2 : 0);
      if (search.onSecond(second + 1)) stoppedAt = second + 1;
    }
    expect(stoppedAt).toBe(17);
    expect(search.stoppedBy).toBe('step 3 (30 iterations/s) broke: error rate 20 % > 10 %');
    const { result, checks } = await search.finish({ slos: [], prometheus: null, runStartSeconds: 0, runSeconds: 17 });
    expect(result.knee).toBe(20);
    expect(result.brokeAt).toBe(30);
    expect(result.steps.map((s) => s.green)).toEqual([true, true, false, null]);
    expect(result.steps[3]!.note).toBe('not run');
    expect(checks).toEqual([expect.objectContaining({ name: 'knee', observed: 20, ok: true, expression: 'knee>=15' })]);
  });

  test('p95 past the limit breaks a step too; a knee below kneeAtLeast (scaled with --scale) fails the gate', async () => {
    const scaled = planOf({ type: 'ramping-arrival-rate', stages }, 0.5);
    const metrics = new MetricRegistry();
    const search = new BreakpointSearch({ stopAt: { p95: '1s' }, kneeAtLeast: 30 }, scaled, metrics, 0.5, 'test');
    for (let second = 0; second < 20; second++) {
      // Scaled: ramps 1 s (the floor), holds 2 s: step 2 (10/s) holds over seconds 4-5.
      feed(metrics, second, 10, second >= 4 ? 1_500 : 30);
      if (search.onSecond(second + 1)) break;
    }
    expect(search.stoppedBy).toMatch(/^step 2 \(10 iterations\/s\) broke: p95 1\.5s > 1s$/);
    const { result, checks } = await search.finish({ slos: [], prometheus: null, runStartSeconds: 0, runSeconds: 12 });
    expect(result.knee).toBe(5);
    expect(checks[0]).toMatchObject({ name: 'knee', expression: 'knee>=15', observed: 5, ok: false });
  });

  test('every step green: the knee is the highest rate, and the summary says the plan did not break it', async () => {
    const metrics = new MetricRegistry();
    const search = new BreakpointSearch({}, plan, metrics, 1, 'test');
    for (let second = 0; second < 21; second++) {
      feed(metrics, second, 10, 20);
      expect(search.onSecond(second + 1)).toBe(false);
    }
    const { result, checks } = await search.finish({ slos: [], prometheus: null, runStartSeconds: 0, runSeconds: 21 });
    expect(result.knee).toBe(40);
    expect(result.summary).toMatch(/did not break it/);
    expect(checks[0]!.ok).toBe(true);
  });

  test('a first step that is already red: no knee, and the gate fails', async () => {
    const metrics = new MetricRegistry();
    const search = new BreakpointSearch({}, plan, metrics, 1, 'test');
    for (let second = 0; second < 8; second++) feed(metrics, second, 10, 20, 5);
    const { result, checks } = await search.finish({ slos: [], prometheus: null, runStartSeconds: 0, runSeconds: 8 });
    expect(result.knee).toBeNull();
    expect(checks[0]).toMatchObject({ observed: null, ok: false, note: 'no knee: the first step was not green' });
  });
});

describe('spike recovery', () => {
  // Baseline 10/s for 10 s, 100/s for 10 s (after a 1 s jump), back to 10/s for 30 s.
  const plan = planOf({ type: 'ramping-arrival-rate', startRate: 10, stages: [{ duration: '10s', target: 10 }, { duration: '1s', target: 100 }, { duration: '10s', target: 100 }, { duration: '1s', target: 10 }, { duration: '30s', target: 10 }] });

  function run(slowUntil: number, spec: { within?: string } = {}, runSeconds = 52) {
    const metrics = new MetricRegistry();
    const windows = recoveryWindows(spec, plan, metrics);
    // 20 ms at baseline; 400 ms from the spike until `slowUntil`; 22 ms after.
    for (let second = 0; second < runSeconds; second++) feed(metrics, second, 10, second < 10 ? 20 : second < slowUntil ? 400 : 22);
    return analyseRecovery(spec, windows, runSeconds, 'test');
  }

  test('the recovery time is counted from the end of the peak to the first calm window', () => {
    const { result, checks } = run(30, { within: '15s' });
    expect(result.spikeEndSecond).toBe(21);
    expect(result.baselineP95Ms).toBeCloseTo(20, 0);
    expect(result.recoveredAtSecond).toBe(30);
    expect(result.recoverySeconds).toBe(9);
    expect(checks[0]).toMatchObject({ name: 'recovery time', observed: 9, ok: true });
  });

  test('a recovery slower than `within` fails the gate; none at all fails it too', () => {
    expect(run(45, { within: '15s' }).checks[0]).toMatchObject({ observed: 24, ok: false });
    const never = run(99, { within: '15s' });
    expect(never.result.recoverySeconds).toBeNull();
    expect(never.checks[0]).toMatchObject({ observed: null, ok: false });
    expect(never.checks[0]!.note).toMatch(/^never recovered/);
  });

  test('a run too short after the peak to show it is not judged, and says so', () => {
    const short = run(99, { within: '15s' }, 30);
    expect(short.checks[0]).toMatchObject({ observed: null, ok: true });
    expect(short.checks[0]!.note).toMatch(/^not judged: the run after the peak \(9 s\) is shorter than 15s \+ 3 s/);
  });
});

describe('soak drift', () => {
  const plan = planOf({ type: 'constant-arrival-rate', rate: 10, duration: '50s' });

  async function drift(latencyAt: (second: number) => number) {
    const metrics = new MetricRegistry();
    const windows = driftWindows(plan, metrics);
    for (let second = 0; second < 50; second++) feed(metrics, second, 10, latencyAt(second));
    return analyseDrift({ maxLatencyGrowth: 2 }, windows, { prometheus: null, runStartSeconds: 0, runSeconds: 50 });
  }

  test('p95 of the last fifth against the first: more than ×2 and more than 50 ms fails', async () => {
    const { result, checks } = await drift((second) => 100 + 5 * second);
    // First fifth: seconds 0-9 in quarters [0,3) [3,5) [5,8) [8,10), p95s ≈ 110, 120, 135, 145 ms:
    // median 127.5; last: 40-49, the same 200 ms higher: 327.5.
    expect(result.latency.firstWindow).toBe('0–10 s');
    expect(result.latency.lastWindow).toBe('40–50 s');
    expect(result.latency.firstP95Ms).toBeCloseTo(127.5, 0);
    expect(result.latency.lastP95Ms).toBeCloseTo(327.5, 0);
    expect(checks[0]).toMatchObject({ name: 'latency drift', ok: false });
    expect(checks[0]!.observed).toBeCloseTo(327.5 / 127.5, 1);
  });

  test('one stalled second is not a drift; a slowdown that lasts is', async () => {
    // 20 ms throughout, but second 45 (in the last fifth) stalls at 700 ms.
    const stalled = await drift((second) => (second === 45 ? 700 : 20));
    expect(stalled.checks[0]).toMatchObject({ ok: true });
    // The same 700 ms over the last fifth's second half: two quarters of four, so the median moves.
    const lasting = await drift((second) => (second >= 45 ? 700 : 20));
    expect(lasting.checks[0]).toMatchObject({ ok: false });
  });

  test('a fast system doubling by a few milliseconds is noise, not drift', async () => {
    // 13 → 27 ms: ×2.1, but 14 ms of growth.
    const { result, checks } = await drift((second) => (second < 25 ? 13 : 27));
    expect(result.latency.ratio).toBeGreaterThan(2);
    expect(checks[0]).toMatchObject({ ok: true, note: expect.stringMatching(/^last p95 27(\.\d+)? ms against a bound of 63(\.\d+)? ms$/) });
  });
});
