// The two-sample Mann–Whitney U (Wilcoxon rank-sum) test, as canary analysis uses it (Kayenta):
// is the candidate's distribution shifted against the baseline's, and by how much? Large-sample
// normal approximation with the tie correction (latency samples run to thousands per step), no
// continuity correction. The shift's estimate (Hodges–Lehmann) and its confidence interval are
// found by root finding on the statistic as a function of the shift, as R's wilcox.test does for
// large samples: no n·m array of pairwise differences is ever built.

export interface MannWhitneyResult {
  /** U of the experiment (candidate): pairs where it is the larger, ties counted half. */
  u: number;
  z: number;
  /** Two-sided. */
  pValue: number;
  /** Hodges–Lehmann estimate of the shift, experiment − control (same unit as the samples). */
  estimate: number;
  /** Confidence interval of the shift at `confidence`. */
  lower: number;
  upper: number;
  confidence: number;
  n: { experiment: number; control: number };
}

/** Standard normal CDF (Abramowitz & Stegun 7.1.26 through erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/** The z with normalCdf(z) = p, by bisection (precise to 1e-9; called once per analysis). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -10;
  let hi = 10;
  while (hi - lo > 1e-9) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * For the experiment shifted by `mu`: U (pairs with x − mu > y, ties half) and the tie-corrected
 * standard deviation of U under the null. Both arrays sorted ascending; O(n + m).
 */
function statistic(xs: Float64Array, ys: Float64Array, mu: number): { u: number; sigma: number } {
  const n = xs.length;
  const m = ys.length;
  let u = 0;
  let below = 0; // ys strictly below the current x − mu
  let equal = 0; // ys equal to it
  for (let i = 0; i < n; i++) {
    const x = xs[i]! - mu;
    while (below < m && ys[below]! < x) below++;
    equal = below;
    while (equal < m && ys[equal]! === x) equal++;
    u += below + (equal - below) / 2;
  }
  // Ties across the merged sample (x − mu and y) shrink the variance.
  let tieTerm = 0;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    const next = j >= m || (i < n && xs[i]! - mu <= ys[j]!) ? xs[i]! - mu : ys[j]!;
    let run = 0;
    while (i < n && xs[i]! - mu === next) {
      i++;
      run++;
    }
    while (j < m && ys[j]! === next) {
      j++;
      run++;
    }
    if (run > 1) tieTerm += run ** 3 - run;
  }
  const total = n + m;
  const variance = ((n * m) / 12) * (total + 1 - tieTerm / (total * (total - 1)));
  return { u, sigma: Math.sqrt(Math.max(variance, 0)) };
}

/**
 * The shift at which `f` (a decreasing step function of the shift) crosses `target`, by
 * bisection. Where `f` sits exactly on the target over a stretch (an even number of pairwise
 * differences), the stretch's middle: for U, that is the median of the differences.
 */
function root(f: (mu: number) => number, target: number, lo: number, hi: number): number {
  const bisect = (above: (value: number) => boolean) => {
    let a = lo;
    let b = hi;
    for (let k = 0; k < 200 && b - a > 1e-12 * Math.max(1, Math.abs(a), Math.abs(b)); k++) {
      const mid = (a + b) / 2;
      if (above(f(mid))) a = mid;
      else b = mid;
    }
    return (a + b) / 2;
  };
  return (bisect((value) => value > target) + bisect((value) => value >= target)) / 2;
}

/** Mann–Whitney U test of `experiment` against `control`; both need at least 2 samples. */
export function mannWhitney(experiment: ArrayLike<number>, control: ArrayLike<number>, confidence = 0.95): MannWhitneyResult {
  if (experiment.length < 2 || control.length < 2) throw new RangeError('mannWhitney: each sample needs at least 2 values');
  const xs = Float64Array.from(experiment).sort();
  const ys = Float64Array.from(control).sort();
  const n = xs.length;
  const m = ys.length;
  const half = (n * m) / 2;
  const at0 = statistic(xs, ys, 0);
  const z = at0.sigma > 0 ? (at0.u - half) / at0.sigma : 0;
  const pValue = Math.min(1, 2 * (1 - normalCdf(Math.abs(z))));
  // Every pairwise difference lies in [min x − max y, max x − min y]: U falls from n·m to 0 across it.
  const lo = xs[0]! - ys[m - 1]! - 1e-9;
  const hi = xs[n - 1]! - ys[0]! + 1e-9;
  const estimate = root((mu) => statistic(xs, ys, mu).u, half, lo, hi);
  const zCrit = normalQuantile(1 - (1 - confidence) / 2);
  const zOf = (mu: number) => {
    const s = statistic(xs, ys, mu);
    return s.sigma > 0 ? (s.u - half) / s.sigma : 0;
  };
  const lower = root(zOf, zCrit, lo, hi);
  const upper = root(zOf, -zCrit, lo, hi);
  return { u: at0.u, z, pValue, estimate, lower, upper, confidence, n: { experiment: n, control: m } };
}
