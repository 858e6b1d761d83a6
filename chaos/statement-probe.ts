import pg from 'pg';

// The primary database's own steady state, as a DBA's "long-running query" alert watches it: the
// age of the oldest statement running on the server, sampled once a second of the load from
// pg_stat_activity. A slow-query storm's hypothesis needs it because what the storm does to the
// service's latency depends on the machine's CPU scheduler, not on the system: on a kernel that
// groups each session for the CPU (autogroup), thirty runaway reports starve every process of
// the harness's session and p95 reaches 10 s; where it does not, the same reports cost the
// service a p95 of 230–355 ms. Whether the database bounds its runaway work is the same on both.

/** One second's sample: the oldest active statement's age and how many statements were running. */
export interface StatementSample {
  t: number;
  longestMs: number;
  active: number;
}

const QUERY = `SELECT coalesce(extract(epoch FROM max(clock_timestamp() - query_start)) * 1000, 0)::float8 AS longest_ms, count(*)::int AS active
  FROM pg_stat_activity WHERE state = 'active' AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;

export interface StatementProbe {
  /** Takes this second's sample, unless the last one has not answered yet (that second stays unmeasured). */
  sample(second: number): void;
  /** Stops sampling and closes the session; idempotent. Resolves with the samples, in order. */
  stop(): Promise<StatementSample[]>;
}

/**
 * Opens one session on `url` for the samples. Its own statement_timeout (1 s) keeps a sample
 * from outliving its second on a starved server; a failed sample is a gap, never a zero.
 */
export async function watchStatements(url: string): Promise<StatementProbe> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, statement_timeout: 1_000, application_name: 'rushhour-probe' });
  client.on('error', () => {});
  await client.connect();
  const samples: StatementSample[] = [];
  let pending: Promise<void> | null = null;
  let stopped: Promise<StatementSample[]> | null = null;
  return {
    sample(second) {
      if (stopped || pending) return;
      pending = client
        .query<{ longest_ms: number; active: number }>(QUERY)
        .then(({ rows: [row] }) => {
          if (row) samples.push({ t: second, longestMs: Math.round(row.longest_ms), active: row.active });
        })
        .catch(() => {})
        .finally(() => (pending = null));
    },
    stop() {
      stopped ??= (async () => {
        await pending;
        await client.end().catch(() => {});
        return samples.sort((a, b) => a.t - b.t);
      })();
      return stopped;
    },
  };
}

/** The longest statement sampled in [from, to), in ms; null when no second of the window was sampled. */
export function longestIn(samples: StatementSample[], from: number, to: number): number | null {
  const inside = samples.filter((s) => s.t >= from && s.t < to);
  return inside.length === 0 ? null : Math.max(...inside.map((s) => s.longestMs));
}
