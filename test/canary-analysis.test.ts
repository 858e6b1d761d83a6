// A canary plan's validation, the per-version sample book, and one analysis's judgement with
// Argo's limits, on planted samples: a candidate like its baseline passes, a slower one fails
// the comparison, a threshold without data follows the no-data policy.
import { describe, expect, test } from 'vitest';
import { compareVersions, judgeAnalysis, RolloutLimits } from '../canary/analysis.ts';
import { canarySchema, validateCanary, type CanaryDefinition } from '../canary/canary.ts';
import { builtinCanaries } from '../canary/plans/index.ts';
import { canarySchedule } from '../canary/run-canary.ts';
import { SampleBook } from '../canary/samples.ts';

const plan: CanaryDefinition = {
  name: 'matching-v2',
  description: 'matching v2 under the mixed load',
  service: 'matching',
  candidate: { version: '2.0.0', variant: 'v2' },
  load: { scenario: 'mixed', rate: 30 },
  steps: [{ setWeight: 10 }, { pause: '20s' }, { analysis: true }, { setWeight: 50 }, { pause: '20s' }, { analysis: true }, { setWeight: 100 }],
  analysis: {
    thresholds: [{ name: 'candidate 5xx share', query: 'sum(rate(http_requests_total{version="$version",status_code=~"5.."}[$window]))', operator: '<', target: 0.01 }],
    comparison: { metrics: [{ name: 'search latency', measure: 'latency', endpoint: 'search', direction: 'increase', allowedIncrease: 1.2, critical: true }, { name: 'errors', measure: 'errors', direction: 'increase' }], score: { pass: 90, marginal: 75 } },
  },
};

describe('a canary plan', () => {
  test('a plan in the documented shape validates', () => {
    expect(validateCanary(plan, 'plan.ts')).toBe(plan);
  });

  test('every problem is listed, each with its field', () => {
    const bad = { ...plan, service: 'payments', steps: [{ setWeight: 50 }, { setWeight: 10 }, { pause: 'soon' }], analysis: {} };
    const issues = canarySchema.safeParse(bad).error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues).toEqual(expect.arrayContaining([expect.stringMatching(/^service: /), expect.stringMatching(/^steps\.2\.pause: a duration/)]));
    expect(() => validateCanary(bad, 'plan.ts')).toThrow(expect.objectContaining({ code: 'RUSHHOUR_ERR_SCENARIO_INVALID' }));
  });

  test('weights only go up, a rollout needs a setWeight, and an analysis needs something to check', () => {
    const messages = (value: unknown) => canarySchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    expect(messages({ ...plan, steps: [{ setWeight: 50 }, { setWeight: 10 }] })).toContain('steps.1.setWeight: weights only go up in a rollout (50 then 10)');
    expect(messages({ ...plan, steps: [{ pause: '10s' }] })).toContain('steps: no setWeight step: the candidate would never get traffic');
    expect(messages({ ...plan, analysis: {} })).toContain('analysis: give thresholds, a comparison, or both: an analysis of nothing always passes');
  });

  test('a plan rolls out a candidate version or a flag, exactly one', () => {
    const messages = (value: unknown) => canarySchema.safeParse(value).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
    const { candidate: _candidate, ...flagOnly } = plan;
    expect(messages({ ...flagOnly, flag: 'read-routing.nearby' })).toEqual([]);
    expect(messages({ ...plan, flag: 'read-routing.nearby' })).toContain('flag: give a candidate version or a flag, exactly one: what is rolled out');
    expect(messages(flagOnly)).toContain('candidate: give a candidate version or a flag, exactly one: what is rolled out');
    expect(messages({ ...flagOnly, flag: 'Read Routing!' })).toContain('flag: a flag name such as read-routing.nearby');
  });
});

/** A deterministic latency sample around `centre` ms (a seeded LCG, so the test never flakes). */
function latencies(centre: number, count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return centre * (0.7 + 0.6 * (state / 2 ** 31));
  });
}

function bookWith(candidateCentre: number, candidateFailures = 0): SampleBook {
  const book = new SampleBook();
  latencies(20, 300, 1).forEach((latencyMs, i) => book.record({ version: '1.0.0', endpoint: 'search', latencyMs, failed: false, second: i % 20 }));
  latencies(candidateCentre, 200, 2).forEach((latencyMs, i) => book.record({ version: '2.0.0', endpoint: 'search', latencyMs, failed: i < candidateFailures, second: i % 20 }));
  return book;
}

describe('the sample book', () => {
  test('values by version, endpoint and window; the summary reads like a threshold', () => {
    const book = bookWith(20, 10);
    expect(book.values('2.0.0', 'latency', 0, 20)).toHaveLength(200);
    expect(book.values('2.0.0', 'latency', 0, 10)).toHaveLength(100);
    expect(book.values('2.0.0', 'latency', 0, 20, 'nearby')).toEqual([]);
    expect(book.values('2.0.0', 'errors', 0, 20).reduce((a, b) => a + b, 0)).toBe(10);
    const summary = book.summary('2.0.0', 0, 20);
    expect(summary.requests).toBe(200);
    expect(summary.failed).toBe(10);
    expect(summary.p95).toBeGreaterThan(20 * 1.2);
    expect(summary.p95).toBeLessThan(20 * 1.3);
  });

  test('old seconds are dropped past the window it keeps', () => {
    const book = new SampleBook({ keepSeconds: 5 });
    for (let t = 0; t < 20; t++) book.record({ version: 'v', endpoint: 'e', latencyMs: t, failed: false, second: t });
    expect(book.values('v', 'latency', 0, 20)).toEqual([14, 15, 16, 17, 18, 19]);
  });
});

describe('one analysis', () => {
  const window = { from: 0, to: 20 };
  const versions = { candidate: '2.0.0', baseline: '1.0.0' };
  const held = [{ name: 'candidate 5xx share', expression: 'q', target: '< 0.01', observed: 0, ok: true }];

  test('a candidate like its baseline: successful', () => {
    const metrics = compareVersions(bookWith(20), plan.analysis.comparison!.metrics, versions, window, 20);
    const result = judgeAnalysis(plan.analysis, window, held, metrics);
    expect(result.comparison!.metrics.map((m) => m.classification)).toEqual(['pass', 'pass']);
    expect(result).toMatchObject({ phase: 'successful', reason: 'every check held' });
  });

  test('a candidate 60 % slower on a critical metric: failed, score 0, and the limits roll it back', () => {
    const metrics = compareVersions(bookWith(32), plan.analysis.comparison!.metrics, versions, window, 20);
    const result = judgeAnalysis(plan.analysis, window, held, metrics);
    expect(result.comparison!.metrics[0]!.classification).toBe('high');
    expect(result.comparison!.score).toMatchObject({ score: 0, zeroedBy: 'critical metric search latency is high' });
    expect(result.phase).toBe('failed');
    expect(new RolloutLimits(plan.analysis).after(result)).toMatchObject({ rollback: true, reason: expect.stringMatching(/^1 failed analysis\(es\), limit 0: comparison score 0 \(fail/) });
  });

  test('a threshold without data follows the plan: a failure by default, inconclusive when the plan says so', () => {
    const noData = [{ ...held[0]!, observed: null, ok: null }];
    expect(judgeAnalysis(plan.analysis, window, noData, null).phase).toBe('failed');
    const lenient = { ...plan.analysis, noData: 'inconclusive' as const, inconclusiveLimit: 1 };
    const result = judgeAnalysis(lenient, window, noData, null);
    expect(result.phase).toBe('inconclusive');
    const limits = new RolloutLimits(lenient);
    expect(limits.after(result)).toEqual({ rollback: false });
    expect(limits.after(result)).toMatchObject({ rollback: true, reason: expect.stringMatching(/^2 inconclusive analysis\(es\), limit 1/) });
  });

  test('too few samples is no data, not a pass', () => {
    const metrics = compareVersions(bookWith(20), plan.analysis.comparison!.metrics, versions, { from: 0, to: 1 }, 20);
    expect(metrics.map((m) => m.classification)).toEqual(['nodata', 'nodata']);
    expect(judgeAnalysis(plan.analysis, { from: 0, to: 1 }, held, metrics)).toMatchObject({ phase: 'failed', reason: expect.stringMatching(/comparison: no data for 2 of 2 metrics/) });
  });
});

describe('the schedule of a plan', () => {
  const plan = builtinCanaries['matching-v2']!;
  const pauses = (scale: number) => {
    const { steps } = canarySchedule(plan, scale, 'plans');
    // A pause is the gap from a weight change to its analysis.
    return steps.filter((s) => s.kind === 'analysis').map((a) => a.at - steps.filter((s) => s.kind === 'weight' && s.at < a.at).at(-1)!.at);
  };

  test('scaled down, each pause gives the candidate at its weight enough requests to compare', () => {
    // 30 iterations/s: 150 requests take 50 s at 10 %, 20 s at 25 %; 50 % has the 20 s floor.
    expect(pauses(0.1)).toEqual([51, 21, 21]);
  });

  test("at full scale the plan's own pauses stand", () => {
    expect(pauses(1)).toEqual([61, 61, 61]);
  });
});
