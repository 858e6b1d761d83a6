// Per-endpoint feature flags, decided at the edge: the data-layer seed's read routing, one
// endpoint at a time. With no override a request goes on as before and the service routes as
// configured (READ_ROUTING); an override turns the flag on for a share of the endpoint's
// requests, drawn per request, so a rollout can compare the requests of both arms. The arm
// travels to the service in `x-feature-flag` and comes back in the answer.

export const FLAG_HEADER = 'x-feature-flag';

interface FlagSpec {
  name: string;
  /** The gateway's route template the flag applies to. */
  route: string;
  description: string;
}

const FLAGS: readonly FlagSpec[] = [
  { name: 'read-routing.search', route: '/v1/routes/search', description: 'searches that miss the cache read from the replica while it keeps up' },
  { name: 'read-routing.nearby', route: '/v1/drivers/nearby', description: 'nearby-driver reads go to the replica while it keeps up' },
];

export class FlagTable {
  /** Percent of the endpoint's requests the flag is on for; absent: no override. */
  readonly #percent = new Map<string, number>();

  constructor(private readonly random: () => number = Math.random) {}

  list(): { name: string; route: string; description: string; percent: number | null }[] {
    return FLAGS.map((flag) => ({ ...flag, percent: this.#percent.get(flag.name) ?? null }));
  }

  has(name: string): boolean {
    return FLAGS.some((flag) => flag.name === name);
  }

  set(name: string, percent: number): void {
    this.#percent.set(name, percent);
  }

  clear(name: string): void {
    this.#percent.delete(name);
  }

  /** The flag and arm for one request to `route`, or null when no flag of that route is overridden. */
  decide(route: string): { flag: string; arm: 'on' | 'off' } | null {
    for (const flag of FLAGS) {
      if (flag.route !== route) continue;
      const percent = this.#percent.get(flag.name);
      if (percent === undefined) continue;
      return { flag: flag.name, arm: this.random() * 100 < percent ? 'on' : 'off' };
    }
    return null;
  }
}
