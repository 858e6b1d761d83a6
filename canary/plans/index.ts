import { defineCanary, type CanaryDefinition } from '../canary.ts';

// The built-in canary plans: matching v2 (a real change: ranking with seat headroom) is
// promoted; v2-regressed (v2 plus 150 ms on every search and nearby) is rolled back, which is
// what that plan expects. Both under the mixed load, in Argo's 10 → 25 → 50 → 100 steps. And
// a feature flag rolled out the same way: the gateway's read-routing.nearby moves nearby-driver
// reads to the replica for a growing share of those requests, under the read-heavy load.

const steps: CanaryDefinition['steps'] = [
  { setWeight: 10 },
  { pause: '60s' },
  { analysis: true },
  { setWeight: 25 },
  { pause: '60s' },
  { analysis: true },
  { setWeight: 50 },
  { pause: '60s' },
  { analysis: true },
  { setWeight: 100 },
];

const analysis: CanaryDefinition['analysis'] = {
  thresholds: [
    {
      name: "candidate's server-side 5xx share",
      // `or vector(0)`: a candidate that never answered 5xx has no such series, which is 0, not "no data".
      query: '(sum(increase(http_requests_total{service="matching",version="$version",status_code=~"5.."}[$window])) or vector(0)) / sum(increase(http_requests_total{service="matching",version="$version"}[$window]))',
      operator: '<',
      target: 0.01,
    },
  ],
  comparison: {
    metrics: [
      // Latency may grow by 20 % before a significant shift counts; errors not at all.
      { name: 'search latency', measure: 'latency', endpoint: 'search', direction: 'increase', allowedIncrease: 1.2, critical: true, group: 'latency' },
      { name: 'nearby latency', measure: 'latency', endpoint: 'nearby', direction: 'increase', allowedIncrease: 1.2, group: 'latency' },
      { name: 'errors', measure: 'errors', direction: 'increase', critical: true, group: 'errors' },
    ],
    score: { pass: 90, marginal: 75 },
  },
  failureLimit: 0,
  inconclusiveLimit: 0,
  noData: 'fail',
};

// Triggers are absolute, as Argo's are: they catch a candidate that is plainly broken. At 1 s a
// busy 2-core CI machine once pushed a healthy v2 over it (p95 1.3 s, the baseline as slow);
// slower-than-the-baseline is the analysis's job, which compares both under the same load.
const triggers: CanaryDefinition['triggers'] = { errorRate: 0.05, p95: '2s', healthChecks: true, window: '10s' };

export const builtinCanaries: Readonly<Record<string, CanaryDefinition>> = Object.freeze({
  'matching-v2': defineCanary({
    name: 'matching-v2',
    description: 'matching v2 (ranking with seat headroom) beside v1 under the mixed load, 10 → 25 → 50 → 100 %: promoted when every analysis holds',
    service: 'matching',
    candidate: { version: '2.0.0', variant: 'v2' },
    load: { scenario: 'mixed', rate: 30, minRate: 30 },
    steps,
    analysis,
    triggers,
  }),
  'matching-v2-regressed': defineCanary({
    name: 'matching-v2-regressed',
    description: 'matching v2 made 150 ms slower on every search and nearby: the first analysis must roll it back',
    service: 'matching',
    candidate: { version: '2.0.1-regressed', variant: 'v2-regressed', env: { REGRESSION_LATENCY_MS: '150' } },
    load: { scenario: 'mixed', rate: 30, minRate: 30 },
    steps,
    analysis,
    triggers,
    expect: 'rollback',
  }),
  'read-routing-nearby': defineCanary({
    name: 'read-routing-nearby',
    description: 'the gateway flag read-routing.nearby moves nearby-driver reads to the replica for 10 → 25 → 50 → 100 % of those requests under the read-heavy load: promoted when the replica answers them as well as the primary',
    service: 'matching',
    flag: 'read-routing.nearby',
    load: { scenario: 'read-heavy', rate: 40, minRate: 40 },
    steps,
    analysis: {
      thresholds: [
        {
          name: 'server-side 5xx share of the flag\'s "on" requests',
          // The gateway counts each flagged request by arm; `or vector(0)` as above.
          query: '(sum(increase(feature_flag_requests_total{flag="$flag",arm="$arm",status_code=~"5.."}[$window])) or vector(0)) / sum(increase(feature_flag_requests_total{flag="$flag",arm="$arm"}[$window]))',
          operator: '<',
          target: 0.01,
        },
      ],
      comparison: {
        metrics: [
          { name: 'nearby latency', measure: 'latency', endpoint: 'nearby', direction: 'increase', allowedIncrease: 1.2, critical: true, group: 'latency' },
          { name: 'errors', measure: 'errors', direction: 'increase', critical: true, group: 'errors' },
        ],
        score: { pass: 90, marginal: 75 },
      },
      failureLimit: 0,
      inconclusiveLimit: 0,
      noData: 'fail',
    },
    // No health checks: a flag has no instance of its own to take out.
    triggers: { errorRate: 0.05, p95: '2s', healthChecks: false, window: '10s' },
  }),
});

/** `matching` is both version plans: v2 promoted, v2-regressed rolled back; `flags` the flag rollouts. */
export const canaryGroups: Readonly<Record<string, readonly string[]>> = Object.freeze({
  matching: ['matching-v2', 'matching-v2-regressed'],
  flags: ['read-routing-nearby'],
  all: Object.keys(builtinCanaries),
});
