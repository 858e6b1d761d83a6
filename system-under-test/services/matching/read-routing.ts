import type { Gauge } from 'prom-client';
import type { Database } from '../lib/db.ts';
import type { Logger } from '../lib/log.ts';

/**
 * Measures the replica's lag and decides where reads go. Lag is 0 when everything received has
 * been replayed; otherwise it is the age of the last replayed commit. (`now() -
 * pg_last_xact_replay_timestamp()` alone grows on an idle primary although nothing is behind.)
 * A replica caught between receiving a record and replaying it (a few ms) would read as
 * "behind by the time since the previous commit", which under sparse writes is seconds: so
 * lag counts only when two measurements in a row find the replica behind.
 */
export class ReadRouter {
  #lagSeconds = Number.POSITIVE_INFINITY;
  #behindOnce = false;
  #replicaUp = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly replica: Database,
    private readonly options: { enabled: boolean; maxLagSeconds: number; intervalMs: number },
    private readonly gauges: { lag: Gauge; up: Gauge },
    private readonly log: Logger,
  ) {}

  start(): void {
    const tick = async () => {
      await this.measure();
      this.#timer = setTimeout(tick, this.options.intervalMs);
      this.#timer.unref();
    };
    void tick();
  }

  stop(): void {
    clearTimeout(this.#timer);
  }

  async measure(): Promise<void> {
    try {
      const [row] = await this.replica.query<{ caught_up: boolean | null; since_replay: number | null }>(
        'replica_lag',
        `SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS caught_up,
                extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS since_replay`,
      );
      const caughtUp = row?.caught_up === true;
      const behind = Math.max(0, row?.since_replay ?? Number.POSITIVE_INFINITY);
      if (caughtUp) this.#lagSeconds = 0;
      else if (this.#behindOnce || !this.#replicaUp) this.#lagSeconds = behind;
      this.#behindOnce = !caughtUp;
      if (!this.#replicaUp) this.log.info('replica reachable', { lagSeconds: this.#lagSeconds });
      this.#replicaUp = true;
    } catch (error) {
      if (this.#replicaUp) this.log.warn('replica unreachable', { error: (error as Error).message });
      this.#replicaUp = false;
      this.#lagSeconds = Number.POSITIVE_INFINITY;
    }
    this.gauges.up.set({ dependency: 'postgres_replica' }, this.#replicaUp ? 1 : 0);
    // Prometheus cannot store +Inf usefully in alerts; an unreachable replica reads as very late.
    this.gauges.lag.set(Number.isFinite(this.#lagSeconds) ? this.#lagSeconds : 1e6);
  }

  /**
   * Where the next read goes. `flag` is the gateway's per-request read-routing flag: on routes
   * as read routing does even where the service's own setting is off, off keeps the read on the
   * primary; without one, the setting decides.
   */
  target(flag?: boolean): 'primary' | 'replica' {
    const enabled = flag ?? this.options.enabled;
    return enabled && this.#replicaUp && this.#lagSeconds < this.options.maxLagSeconds ? 'replica' : 'primary';
  }

  /** A read failed on the replica: stop using it until the next successful measurement. */
  markReplicaDown(): void {
    this.#replicaUp = false;
  }
}
