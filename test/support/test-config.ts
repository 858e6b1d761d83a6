import { resolveConfig } from '../../harness/index.ts';

/** The stack the integration tests share: a smaller city, short holds, fast sweeps. */
export const testStackConfig = resolveConfig(
  {
    stack: { matching: { replicas: 2 }, booking: { replicas: 2 } },
    sut: { holdTtlSeconds: 3, sweepIntervalMs: 200, cacheTtlSeconds: 30 },
    fixtures: { seed: 7, routes: 3_000, drivers: 1_500, riders: 3_000 },
  },
  'test/support/test-config.ts',
);
