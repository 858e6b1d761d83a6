import { defineExperiment, type ExperimentDefinition, type Tolerance } from '../experiment.ts';

// The built-in experiments, from the seeds, each with a hypothesis a team would sign. Offsets
// and durations are the nightly size; `--scale 0.1` shrinks them (never below 10 s before the
// fault, 20 s of fault and 15 s after recovery, so alerts with `for: 10s` have time to fire).

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

/**
 * The booking service's writes stall behind a lock (as behind a long migration) while the load
 * sends twice what its pools hold: 4.5 writes/s per instance, each holding a connection for the
 * 5 s statement timeout, against 10 connections. The `minRate` keeps that ratio at `--scale 0.1`.
 */
const poolExhaustion = defineExperiment({
  name: 'pool-exhaustion',
  description: 'Writes to bookings are blocked for 40 s (a lock held, as a stuck migration holds one) while the mixed load asks the booking pools for twice their capacity: callers get 503 with Retry-After promptly instead of waiting, search is unaffected, PoolSaturationHigh fires and resolves, and bookings work again within 10 s of the release',
  load: { ...load, minRate: 30 },
  method: [{ fault: { type: 'pool-exhaustion', table: 'bookings' }, at: '30s', for: '40s' }],
  hypothesis: {
    before: steady,
    during: {
      endpoints: {
        search: { errorRate: 0.01, p95: '1s' },
        // Nobody waits past one statement timeout (5 s) plus one pool wait (1 s): refusals are
        // prompt. A pool without a timeout queues callers far past this.
        book: { p99: '6.5s' },
        pay: { p99: '6.5s' },
      },
      slos: [
        {
          name: "booking's failures are 503s (Retry-After), not 500s or gateway timeouts",
          query: 'sum(increase(http_requests_total{service="booking",status_code="503"}[$window])) / sum(increase(http_requests_total{service="booking",status_code=~"5.."}[$window]))',
          operator: '>=',
          target: 0.99,
        },
      ],
    },
    after: steady,
  },
  alerts: { fire: ['PoolSaturationHigh'], resolve: true },
  recovery: { within: '10s' },
  settle: '30s',
});

const networkPartition = defineExperiment({
  name: 'network-partition',
  description: 'The booking service is partitioned from the primary for 40 s (its own link drops every packet both ways; matching keeps its link): bookings are refused with 503 once the query timeout gives up on the lost answers, nobody left hanging past 8 s, search and nearby do not notice, PostgresDown fires and resolves, the pools are whole again afterwards, and no acknowledged booking is lost',
  load,
  method: [{ fault: { type: 'partition', service: 'booking', dependency: 'postgres-primary' }, at: '30s', for: '40s' }],
  hypothesis: {
    before: steady,
    during: {
      // A request caught by the partition waits for the 6 s query timeout (its answer is lost,
      // and statement_timeout is the server's, which never saw it), then 503; one that first
      // waited for a pool connection, 1 s more. Nobody longer: one request left hanging until
      // the client gives up (10 s) is the failure this experiment is for.
      max: '8s',
      endpoints: { search: { errorRate: 0.01, p95: '1s' }, nearby: { errorRate: 0.01, p95: '1s' }, book: { p99: '7s' }, pay: { p99: '7s' } },
    },
    after: steady,
  },
  alerts: { fire: ['PostgresDown'], resolve: true },
  recovery: { within: '10s' },
  settle: '30s',
});

const slowQueryStorm = defineExperiment({
  name: 'slow-query-storm',
  description: 'Runaway reports arrive on the primary at 1.5 a second for 40 s: the database cancels each at its role\'s statement timeout (no statement older than 5 s), and the service\'s own queries stay in bounds (p95 under 1 s, errors under 1 %)',
  load,
  method: [{ fault: { type: 'slow-query-storm', work: 'scan', reportsPerSecond: 1.5 }, at: '30s', for: '40s' }],
  // The database's bound is judged on the database: what runaway reports do to the service's
  // latency on a 2-core machine depends on the kernel's CPU scheduler (see chaos/statement-probe.ts).
  hypothesis: { before: steady, during: { errorRate: 0.01, p95: '1s', database: { longestStatement: '5s' } }, after: steady },
  recovery: { within: '10s' },
  settle: '30s',
});

const instanceCrash = defineExperiment({
  name: 'instance-crash',
  description: 'One matching instance is killed under the mixed load and restarted 40 s later: the gateway routes around the dead instance (errors under 1 %, p95 under 1 s), ServiceDown fires and resolves',
  load,
  method: [{ fault: { type: 'crash', component: 'matching-1' }, at: '30s', for: '40s' }],
  hypothesis: { before: steady, during: { errorRate: 0.01, p95: '1s' }, after: steady },
  alerts: { fire: ['ServiceDown'], resolve: true },
  recovery: { within: '10s' },
  settle: '30s',
});

/** By name (`rushhour chaos <name>`, `npm run chaos:<name>`). */
export const builtinExperiments: Readonly<Record<string, ExperimentDefinition>> = Object.freeze(
  Object.fromEntries([redisFailure('crash'), redisFailure('hang'), redisFailure('network'), replicaLag, poolExhaustion, networkPartition, slowQueryStorm, instanceCrash].map((e) => [e.name, e])),
);

/** Groups a script can name: `redis-failure` is its three flavours; `all` is the nightly set. */
export const experimentGroups: Readonly<Record<string, readonly string[]>> = Object.freeze({
  'redis-failure': ['redis-failure-crash', 'redis-failure-hang', 'redis-failure-network'],
  all: Object.keys(builtinExperiments),
});
