import { RushhourError, type ExtensionStart, type ExtraInstance } from '../harness/index.ts';
import type { CanaryDefinition } from './canary.ts';

// What a rollout moves traffic to, behind one interface: a candidate version (instances started
// beside the baseline, weighted at the gateway's upstream group) or a per-endpoint feature flag
// of the running version (the gateway turns it on for a share of that endpoint's requests).
// Either way the runner sets a weight and compares the candidate's requests with the baseline's.
// At the end a candidate version always goes (its instances belong to the run); a flag stays
// where the rollout left it, as a flag service would: at 100 % when promoted, 0 % when rolled back.

/** The gateway's admin API, authenticated; throws RUSHHOUR_ERR_CANARY_FAILED on an error status. */
export type GatewayAdmin = (method: string, route: string, body?: unknown) => Promise<unknown>;

export interface RolloutTarget {
  /** The label the candidate's requests carry in the load's samples (and `$version`). */
  readonly candidateLabel: string;
  /** The baseline's label; known once started. */
  baselineLabel: string;
  /** The response header the load client reads each request's label from. */
  readonly sampleHeader: string;
  /** Makes the candidate ready at weight 0 (fails the run before any load when it cannot). */
  start(context: ExtensionStart, admin: GatewayAdmin): Promise<void>;
  setWeight(weight: number): Promise<void>;
  /** The end of the rollout: what it added leaves (a promoted flag stays on). Idempotent, never throws. */
  retire(promoted: boolean): Promise<void>;
  /** Candidates the gateway's health checks took out (none for a flag). */
  unhealthy(): Promise<string[]>;
  /** A threshold's PromQL with the candidate's names filled in. */
  query(promql: string): string;
  /** The journal's first line: what runs beside what. */
  startNote(): string;
  /** What the run record says was rolled out. */
  describe(): { version: string; variant: string | null; flag?: string };
}

export const VERSION_HEADER = 'x-upstream-version';
export const FLAG_HEADER = 'x-feature-flag';

export function rolloutTarget(canary: CanaryDefinition, source: string): RolloutTarget {
  if (canary.flag) return flagTarget(canary.flag, source);
  if (!canary.candidate) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: candidate: give a candidate version or a flag`);
  return instanceTarget(canary.service, canary.candidate, source);
}

function instanceTarget(service: CanaryDefinition['service'], candidate: NonNullable<CanaryDefinition['candidate']>, source: string): RolloutTarget {
  const group = `/admin/upstreams/${service}`;
  const candidates: ExtraInstance[] = [];
  let baselineMembers: string[] = [];
  let admin: GatewayAdmin | null = null;
  let retired: Promise<void> | null = null;
  const target: RolloutTarget = {
    candidateLabel: candidate.version,
    baselineLabel: '',
    sampleHeader: VERSION_HEADER,
    async start(context, gatewayAdmin) {
      admin = gatewayAdmin;
      if (!context.instances) {
        throw new RushhourError('RUSHHOUR_ERR_USAGE', `${source}: a canary starts its candidate in a stack this run boots (the launcher lives in its owner process), and a stack is up here: run \`rushhour down\` first`);
      }
      const members = context.topology.components.filter((c) => c.kind === 'service' && c.group === service);
      baselineMembers = members.map((m) => m.name);
      target.baselineLabel = members[0]?.version ?? '';
      if (target.baselineLabel === candidate.version) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: candidate.version: the baseline already runs ${target.baselineLabel}; a candidate needs a version of its own`);
      const env = { ...(candidate.variant ? { VARIANT: candidate.variant } : {}), ...candidate.env };
      for (let i = 1; i <= (candidate.instances ?? 1); i++) {
        context.progress(`Starting candidate ${service}-canary-${i} (version ${candidate.version}${candidate.variant ? `, ${candidate.variant}` : ''})...`);
        const instance = await context.instances.start({ group: service, name: `${service}-canary-${i}`, version: candidate.version, env });
        candidates.push(instance);
        await admin('PUT', `${group}/members/${instance.name}`, { url: instance.upstreamUrl, version: instance.version, weight: 0 });
      }
    },
    /** Candidate share w %: baseline members at 100 − w each, candidates at w × (baseline count ÷ candidate count). */
    async setWeight(weight) {
      const weights: Record<string, number> = {};
      for (const name of baselineMembers) weights[name] = 100 - weight;
      for (const c of candidates) weights[c.name] = (weight * baselineMembers.length) / candidates.length;
      await admin!('PUT', `${group}/weights`, { weights });
    },
    retire: () =>
      (retired ??= (async () => {
        if (!admin) return;
        await target.setWeight(0).catch(() => {});
        for (const c of candidates) await admin('DELETE', `${group}/members/${c.name}`).catch(() => {});
        await Promise.all(candidates.map((c) => c.stop().catch(() => {})));
      })()),
    async unhealthy() {
      const body = (await admin!('GET', '/admin/upstreams')) as { groups: Record<string, { name: string; healthy: boolean }[]> };
      return body.groups[service]!.filter((m) => candidates.some((c) => c.name === m.name) && !m.healthy).map((m) => m.name);
    },
    query: (promql) => promql.replaceAll('$version', candidate.version),
    startNote: () => `candidate ${candidate.version} beside baseline ${target.baselineLabel} (${baselineMembers.join(', ')})`,
    describe: () => ({ version: candidate.version, variant: candidate.variant ?? null }),
  };
  return target;
}

function flagTarget(flag: string, source: string): RolloutTarget {
  let admin: GatewayAdmin | null = null;
  let retired: Promise<void> | null = null;
  const route = `/admin/flags/${flag}`;
  const target: RolloutTarget = {
    candidateLabel: `${flag}=on`,
    baselineLabel: `${flag}=off`,
    sampleHeader: FLAG_HEADER,
    async start(_context, gatewayAdmin) {
      admin = gatewayAdmin;
      const known = ((await admin('GET', '/admin/flags')) as { flags: { name: string }[] }).flags.map((f) => f.name);
      if (!known.includes(flag)) throw new RushhourError('RUSHHOUR_ERR_SCENARIO_INVALID', `${source}: flag: the gateway has no flag "${flag}"`, { details: [`flags the gateway knows: ${known.join(', ')}`] });
      // Off for every request until the first step, whatever the service's default: from here both arms are the plan's.
      await admin('PUT', route, { percent: 0 });
    },
    async setWeight(weight) {
      await admin!('PUT', route, { percent: weight });
    },
    // Rolled back: off for every request. `DELETE /admin/flags/<name>` would hand the endpoint back
    // to the service's configured default, which is not what a rollback of the flag means.
    retire: (promoted) => (retired ??= admin && !promoted ? admin('PUT', route, { percent: 0 }).then(() => undefined, () => undefined) : Promise.resolve()),
    unhealthy: async () => [],
    query: (promql) => promql.replaceAll('$flag', flag).replaceAll('$arm', 'on').replaceAll('$version', `${flag}=on`),
    startNote: () => `flag ${flag} off for every request; its "on" arm is the candidate, "off" the baseline`,
    describe: () => ({ version: `${flag}=on`, variant: null, flag }),
  };
  return target;
}
