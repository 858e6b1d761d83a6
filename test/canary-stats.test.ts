// The canary judge's statistics, checked against reference values (scipy's Mann–Whitney U and
// p-value; the Hodges–Lehmann estimate and the distribution-free confidence interval from all
// pairwise differences, computed by numpy and recorded in the fixture), and Kayenta's
// classification and scoring rules on planted cases.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { classifyMetric, scoreClassifications, scoreVerdict, type MetricClassification } from '../canary/stats/judge.ts';
import { mannWhitney, normalCdf, normalQuantile } from '../canary/stats/mann-whitney.ts';

interface Case { name: string; experiment: number[]; control: number[]; confidence: number; u: number; pValue: number; estimate: number; lower: number; upper: number }
const fixture = JSON.parse(readFileSync('test/fixtures/stats/mann-whitney.json', 'utf8')) as { cases: Case[] };

describe('Mann–Whitney U against recorded reference values', () => {
  test.each(fixture.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = mannWhitney(c.experiment, c.control, c.confidence);
    expect(result.u).toBe(c.u);
    expect(Math.abs(result.pValue - c.pValue)).toBeLessThan(1e-4);
    // The estimate is the median of the pairwise differences. The interval's ends come from root
    // finding on z (R's large-sample method), the reference's from order statistics: they may
    // land one order statistic apart (5 of a 245 wide interval at 20 × 20 samples).
    const width = c.upper - c.lower;
    expect(Math.abs(result.estimate - c.estimate)).toBeLessThanOrEqual(1e-6 * width);
    expect(Math.abs(result.lower - c.lower)).toBeLessThanOrEqual(0.025 * width);
    expect(Math.abs(result.upper - c.upper)).toBeLessThanOrEqual(0.025 * width);
    expect(result.lower).toBeLessThanOrEqual(result.estimate);
    expect(result.upper).toBeGreaterThanOrEqual(result.estimate);
  });

  test('the normal distribution helpers', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.326348, 5);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  test('swapping the samples mirrors the shift', () => {
    const c = fixture.cases[0]!;
    const a = mannWhitney(c.experiment, c.control);
    const b = mannWhitney(c.control, c.experiment);
    expect(b.estimate).toBeCloseTo(-a.estimate, 2);
    expect(b.pValue).toBeCloseTo(a.pValue, 10);
  });
});

describe('Kayenta-style classification', () => {
  const slower = fixture.cases[0]!;
  const same = fixture.cases[1]!;

  test('a candidate 15 ms slower on latency is High; the same distribution is Pass', () => {
    expect(classifyMetric({ name: 'latency', direction: 'increase' }, slower.experiment, slower.control).classification).toBe('high');
    expect(classifyMetric({ name: 'latency', direction: 'increase' }, same.experiment, same.control).classification).toBe('pass');
  });

  test('direction: a faster candidate is Low under `either`, Pass under `increase`', () => {
    expect(classifyMetric({ name: 'latency' }, slower.control, slower.experiment).classification).toBe('low');
    expect(classifyMetric({ name: 'latency', direction: 'increase' }, slower.control, slower.experiment).classification).toBe('pass');
  });

  test('the effect-size guard: a significant shift smaller than the allowed increase passes', () => {
    // +15 ms on ~42 ms is a mean ratio of about 1.36.
    const judged = classifyMetric({ name: 'latency', direction: 'increase', allowedIncrease: 1.5 }, slower.experiment, slower.control);
    expect(judged.classification).toBe('pass');
    expect(judged.reason).toMatch(/within the allowed increase/);
    expect(classifyMetric({ name: 'latency', direction: 'increase', allowedIncrease: 1.2 }, slower.experiment, slower.control).classification).toBe('high');
  });

  test('no data and constant samples', () => {
    expect(classifyMetric({ name: 'errors' }, [1], [0, 0, 0]).classification).toBe('nodata');
    expect(classifyMetric({ name: 'errors' }, [0, 0, 0], [0, 0]).classification).toBe('pass');
  });
});

describe('Kayenta-style scoring', () => {
  const judged = (name: string, classification: MetricClassification['classification'], extra: Partial<MetricClassification> = {}): MetricClassification => ({ name, group: 'default', classification, critical: false, mustHaveData: false, ratio: 1, test: null, reason: '', ...extra });

  test('a group scores Pass ÷ counted; no-data only counts when the metric must have data', () => {
    expect(scoreClassifications([judged('a', 'pass'), judged('b', 'pass'), judged('c', 'high'), judged('d', 'pass')]).score).toBe(75);
    expect(scoreClassifications([judged('a', 'pass'), judged('b', 'pass'), judged('c', 'nodata')]).score).toBe(100);
    expect(scoreClassifications([judged('a', 'pass'), judged('b', 'pass'), judged('c', 'nodata', { mustHaveData: true })]).score).toBe(66.67);
  });

  test('group weights, with unweighted groups sharing what is left', () => {
    const results = [judged('p95', 'high', { group: 'latency' }), judged('p50', 'pass', { group: 'latency' }), judged('5xx', 'pass', { group: 'errors' }), judged('cpu', 'low', { group: 'saturation' })];
    const score = scoreClassifications(results, { latency: 50 });
    expect(score.groups).toEqual([
      { group: 'latency', score: 50, weight: 50 },
      { group: 'errors', score: 100, weight: 25 },
      { group: 'saturation', score: 0, weight: 25 },
    ]);
    expect(score.score).toBe(50);
  });

  test('a critical metric not Pass, or no data for half the metrics, scores 0', () => {
    expect(scoreClassifications([judged('a', 'pass'), judged('b', 'high', { critical: true }), judged('c', 'pass')])).toMatchObject({ score: 0, zeroedBy: 'critical metric b is high' });
    expect(scoreClassifications([judged('a', 'pass'), judged('b', 'nodata')])).toMatchObject({ score: 0, zeroedBy: 'no data for 1 of 2 metrics' });
  });

  test('the score against pass and marginal thresholds', () => {
    expect(scoreVerdict(95, { pass: 90, marginal: 75 })).toBe('pass');
    expect(scoreVerdict(80, { pass: 90, marginal: 75 })).toBe('marginal');
    expect(scoreVerdict(74.99, { pass: 90, marginal: 75 })).toBe('fail');
  });
});
