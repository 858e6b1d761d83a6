import { defineExperiment, type ExperimentDefinition, type Tolerance } from '../experiment.ts';

// The built-in experiments, from the seeds, each with a hypothesis a team would sign. Offsets
// and durations are the nightly size; `--scale 0.1` shrinks them (never below 10 s before the
// fault, 15 s of fault and 15 s after recovery, so alerts with `for: 5s` have time to fire).

/**
 * Healthy on this 2-core machine at the mixed load's rate: what "before" and "after" hold to.
 * p95 under 1 s, not 500 ms: a stack booted seconds earlier, sharing two cores with the
 * generator and (in CI) the test runner, measured 618 ms over its first 10 s once (p95 of 100
 * requests: its five slowest), with nothing wrong but cold caches.
 */
const steady: Tolerance = { errorRate: 0.01, p95: '1s' };

/** The load every experiment runs under: the mixed 70/30 workload (reads, holds, payments). */
const load = { scenario: 'mixed', rate: 30 } as const;

function redisFailure(flavour: 'crash' | 'hang' | 'network'): ExperimentDefinition {
  const fault = flavour === 'crash' ? ({ type: 'crash', component: 'redis' } as const) : flavour === 'hang' ? ({ type: 'hang', component: 'redis' } as const) : ({ type: 'link-down', link: 'redis' } as const);
  return defineExperiment({
    name: `redis-failure-${flavour}`,
    description: `Redis ${flavour === 'crash' ? 'crashes (killed)' : flavour === 'hang' ? 'hangs (frozen: sockets accept, nothing answers)' : 'is cut off (its link goes down)'} for 40 s under the mixed load: search degrades to the database but its errors stay under 1 %, bookings still succeed, RedisDown fires and resolves`,
    load,
    method: [{ fault, at: '30s', for: '40s' }],
    hypothesis: {
      before: steady,
      // The cache is a fast path: without it search is slower, not broken, and bookings do not notice.
      during: { endpoints: { search: { errorRate: 0.01 }, book: { errorRate: 0.01 } } },
      after: steady,
    },
    alerts: { fire: ['RedisDown'], resolve: true },
    recovery: { within: '10s' },
    settle: '30s',
  });
}

const replicaLag = defineExperiment({
  name: 'replica-lag',
  description: 'The replica stops applying WAL for 40 s under the mixed load: reads move to the primary while the lag is over its threshold, no stale seat count oversells a route, ReplicaLagHigh fires and resolves',
  load,
  method: [{ fault: { type: 'replica-lag', mode: 'pause-replay' }, at: '30s', for: '40s' }],
  hypothesis: {
    before: steady,
    during: {
      errorRate: 0.01,
      // Reads leave the lagging replica: over the fault, almost none of them are served by it
      // (the first seconds, until the lag crosses its 1 s threshold twice, are allowed: under 40 %).
      slos: [{ name: 'reads served by the replica while it lags', query: 'sum(increase(db_reads_total{target="replica"}[$window])) / sum(increase(db_reads_total[$window]))', operator: '<', target: 0.4 }],
    },
    after: steady,
  },
  alerts: { fire: ['ReplicaLagHigh'], resolve: true },
  recovery: { within: '10s' },
  settle: '30s',
});

/** By name (`rushhour chaos <name>`, `npm run chaos:<name>`). */
export const builtinExperiments: Readonly<Record<string, ExperimentDefinition>> = Object.freeze(
  Object.fromEntries([redisFailure('crash'), redisFailure('hang'), redisFailure('network'), replicaLag].map((e) => [e.name, e])),
);

/** Groups a script can name: `redis-failure` is its three flavours. */
export const experimentGroups: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'redis-failure': ['redis-failure-crash', 'redis-failure-hang', 'redis-failure-network'],
  all: Object.keys(builtinExperiments),
});
