import { mannWhitney, type MannWhitneyResult } from './mann-whitney.ts';

// Kayenta's judge, in small: each metric of the candidate is classified against the baseline
// (Pass, High, Low, or no data) by a Mann–Whitney test with a tolerance band and an effect-size
// guard; the classifications are scored per group and weighted into one score out of 100; the
// score against the pass and marginal thresholds gives the verdict. (spinnaker/kayenta:
// MannWhitneyClassifier, WeightedSumScorer, ThresholdScoreClassifier.)

export type Classification = 'pass' | 'high' | 'low' | 'nodata';

export interface JudgedMetric {
  name: string;
  /** Which way is bad: `increase` for latency and errors. Default `either`. */
  direction?: 'increase' | 'decrease' | 'either';
  /** A critical metric classified High or Low (or without data it must have) makes the whole score 0. */
  critical?: boolean;
  /** No data for this metric counts against its group (Kayenta's NodataFailMetric). */
  mustHaveData?: boolean;
  /**
   * Effect size by mean ratio (candidate ÷ baseline): High only when the ratio is at least
   * this, Low only when at most `allowedDecrease`. With thousands of samples a 1 % shift is
   * "significant"; this is how much of one matters. Default 1 (any significant shift).
   */
  allowedIncrease?: number;
  allowedDecrease?: number;
  group?: string;
}

export interface MetricClassification {
  name: string;
  group: string;
  classification: Classification;
  critical: boolean;
  mustHaveData: boolean;
  /** Mean of the candidate ÷ mean of the baseline (null without data). */
  ratio: number | null;
  test: MannWhitneyResult | null;
  reason: string;
}

const mean = (values: ArrayLike<number>) => {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  return sum / values.length;
};

/**
 * Classifies one metric. The tolerance band is ± `fraction` × |Hodges–Lehmann estimate| (as
 * Kayenta): High when the whole confidence interval of the shift lies above the band (and the
 * effect size is large enough), Low when below it.
 */
export function classifyMetric(metric: JudgedMetric, candidate: ArrayLike<number>, baseline: ArrayLike<number>, options: { fraction?: number; confidence?: number } = {}): MetricClassification {
  const base = { name: metric.name, group: metric.group ?? 'default', critical: metric.critical ?? false, mustHaveData: metric.mustHaveData ?? false };
  if (candidate.length < 2 || baseline.length < 2) {
    return { ...base, classification: 'nodata', ratio: null, test: null, reason: `too few samples (candidate ${candidate.length}, baseline ${baseline.length}; 2 each needed)` };
  }
  const baselineMean = mean(baseline);
  const ratio = baselineMean === 0 ? (mean(candidate) === 0 ? 1 : Infinity) : mean(candidate) / baselineMean;
  const distinct = new Set<number>();
  for (let i = 0; i < candidate.length && distinct.size < 2; i++) distinct.add(candidate[i]!);
  for (let i = 0; i < baseline.length && distinct.size < 2; i++) distinct.add(baseline[i]!);
  if (distinct.size < 2) return { ...base, classification: 'pass', ratio, test: null, reason: 'every sample has the same value' };
  const test = mannWhitney(candidate, baseline, options.confidence ?? 0.98);
  const band = (options.fraction ?? 0.25) * Math.abs(test.estimate);
  const direction = metric.direction ?? 'either';
  const shift = `shift ${fmt(test.estimate)} (CI ${fmt(test.lower)} … ${fmt(test.upper)}, p=${test.pValue.toPrecision(2)}), mean ratio ${ratio.toFixed(3)}`;
  if (direction !== 'decrease' && test.lower > band) {
    if (ratio >= (metric.allowedIncrease ?? 1)) return { ...base, classification: 'high', ratio, test, reason: `higher than the baseline: ${shift}` };
    return { ...base, classification: 'pass', ratio, test, reason: `higher, but within the allowed increase ×${metric.allowedIncrease}: ${shift}` };
  }
  if (direction !== 'increase' && test.upper < -band) {
    if (ratio <= (metric.allowedDecrease ?? 1)) return { ...base, classification: 'low', ratio, test, reason: `lower than the baseline: ${shift}` };
    return { ...base, classification: 'pass', ratio, test, reason: `lower, but within the allowed decrease ×${metric.allowedDecrease}: ${shift}` };
  }
  return { ...base, classification: 'pass', ratio, test, reason: `no shift beyond the tolerance: ${shift}` };
}

const fmt = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3));

export interface CanaryScore {
  /** 0–100, two decimals. */
  score: number;
  groups: { group: string; score: number; weight: number }[];
  /** Why the score is 0 outright, when it is. */
  zeroedBy: string | null;
}

/**
 * Kayenta's weighted sum: a group scores Pass ÷ (Pass + High + Low + no-data-that-must-have-data)
 * × 100 (100 when nothing in it counts); groups are weighted by `groupWeights` (percent), groups
 * without a weight share what is left equally. A critical metric classified High or Low, or no
 * data for half the metrics or more, scores 0.
 */
export function scoreClassifications(results: readonly MetricClassification[], groupWeights: Readonly<Record<string, number>> = {}): CanaryScore {
  // A critical metric fails the score on evidence (High, Low) or on missing data it must have;
  // plain no data is the no-data rule's to judge.
  const critical = results.find((r) => r.critical && (r.classification === 'high' || r.classification === 'low' || (r.classification === 'nodata' && r.mustHaveData)));
  const groupNames = [...new Set(results.map((r) => r.group))];
  const weighted = groupNames.filter((g) => groupWeights[g] !== undefined);
  const leftover = Math.max(0, 100 - weighted.reduce((sum, g) => sum + groupWeights[g]!, 0));
  const unweighted = groupNames.filter((g) => groupWeights[g] === undefined);
  const groups = groupNames.map((group) => {
    const members = results.filter((r) => r.group === group);
    const pass = members.filter((r) => r.classification === 'pass').length;
    const counted = pass + members.filter((r) => r.classification === 'high' || r.classification === 'low' || (r.classification === 'nodata' && r.mustHaveData)).length;
    const weight = groupWeights[group] ?? (unweighted.length ? leftover / unweighted.length : 0);
    return { group, score: counted === 0 ? 100 : (pass / counted) * 100, weight };
  });
  const round = (value: number) => Math.round(value * 100) / 100;
  const nodata = results.filter((r) => r.classification === 'nodata').length;
  let zeroedBy: string | null = null;
  if (critical) zeroedBy = `critical metric ${critical.name} is ${critical.classification}`;
  else if (results.length > 0 && nodata * 2 >= results.length) zeroedBy = `no data for ${nodata} of ${results.length} metrics`;
  const score = zeroedBy ? 0 : round(groups.reduce((sum, g) => sum + (g.score * g.weight) / 100, 0));
  return { score, groups: groups.map((g) => ({ ...g, score: round(g.score), weight: round(g.weight) })), zeroedBy };
}

/** Kayenta's ThresholdScoreClassifier. */
export function scoreVerdict(score: number, thresholds: { pass: number; marginal: number }): 'pass' | 'marginal' | 'fail' {
  if (score >= thresholds.pass) return 'pass';
  if (score >= thresholds.marginal) return 'marginal';
  return 'fail';
}
