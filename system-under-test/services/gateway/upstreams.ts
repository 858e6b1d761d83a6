import http from 'node:http';
import type { Logger } from '../lib/log.ts';

export interface MemberSpec {
  name: string;
  url: string;
  weight: number;
  version: string;
}

export interface Member extends MemberSpec {
  healthy: boolean;
  consecutiveFailures: number;
}

/** Failed probes in a row before a member is taken out; one success brings it back. */
const UNHEALTHY_AFTER = 2;

/**
 * A service's instances (baseline and canary) behind one name, each with a weight. Picks are
 * weighted-random among healthy members; when every weighted member is down, a healthy member
 * of weight 0 still serves, because an answer beats a 503 while the canary slot is empty.
 */
export class UpstreamGroup {
  readonly name: string;
  readonly members: Member[];
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 128, maxFreeSockets: 32, scheduling: 'lifo' });

  constructor(name: string, specs: readonly MemberSpec[]) {
    this.name = name;
    this.members = specs.map((spec) => ({ ...spec, healthy: true, consecutiveFailures: 0 }));
  }

  pick(exclude?: Member, random = Math.random): Member | undefined {
    const healthy = this.members.filter((member) => member.healthy && member !== exclude);
    const weighted = healthy.filter((member) => member.weight > 0);
    const pool = weighted.length > 0 ? weighted : healthy;
    if (pool.length === 0) return undefined;
    const total = pool.reduce((sum, member) => sum + Math.max(member.weight, 0), 0);
    if (total === 0) return pool[Math.floor(random() * pool.length)];
    let roll = random() * total;
    for (const member of pool) {
      roll -= member.weight;
      if (roll < 0) return member;
    }
    return pool[pool.length - 1];
  }

  /** Replaces weights by member name; unknown names are an error, and all-zero is refused. */
  setWeights(weights: Record<string, number>): void {
    const unknown = Object.keys(weights).filter((name) => !this.members.some((member) => member.name === name));
    if (unknown.length) throw new Error(`unknown member(s) of ${this.name}: ${unknown.join(', ')}`);
    const next = this.members.map((member) => weights[member.name] ?? member.weight);
    if (next.every((weight) => weight === 0)) throw new Error(`at least one member of ${this.name} needs a weight above 0`);
    this.members.forEach((member, i) => {
      member.weight = next[i]!;
    });
  }

  /**
   * Adds a member (a canary candidate), or replaces one of the same name. It joins as healthy
   * only if `healthy` says so (the caller probed it): traffic never reaches an instance nobody
   * has seen answer.
   */
  upsertMember(spec: MemberSpec, healthy: boolean): Member {
    const member: Member = { ...spec, healthy, consecutiveFailures: 0 };
    const index = this.members.findIndex((m) => m.name === spec.name);
    if (index >= 0) this.members[index] = member;
    else this.members.push(member);
    return member;
  }

  /** Removes a member; refused when no other member has a weight above 0 (nobody would serve). */
  removeMember(name: string): void {
    const index = this.members.findIndex((m) => m.name === name);
    if (index < 0) throw new Error(`unknown member of ${this.name}: ${name}`);
    if (!this.members.some((m, i) => i !== index && m.weight > 0)) throw new Error(`removing ${name} would leave ${this.name} without a weighted member`);
    this.members.splice(index, 1);
  }

  markFailed(member: Member, log: Logger, reason: string): void {
    member.consecutiveFailures = UNHEALTHY_AFTER;
    if (member.healthy) log.warn('upstream member down', { group: this.name, member: member.name, reason });
    member.healthy = false;
  }

  describe() {
    return this.members.map(({ name, url, weight, version, healthy }) => ({ name, url, weight, version, healthy }));
  }
}

/** One GET /health, true on 200 within `timeoutMs`. */
export async function probeHealth(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    await response.body?.cancel();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Active health checks: GET /health on every member each interval, with a short timeout. */
export function startHealthChecks(groups: readonly UpstreamGroup[], log: Logger, intervalMs = 1_000): () => void {
  const probe = async (group: UpstreamGroup, member: Member) => {
    const ok = await probeHealth(member.url, Math.min(800, intervalMs));
    if (ok) {
      if (!member.healthy) log.info('upstream member up', { group: group.name, member: member.name });
      member.healthy = true;
      member.consecutiveFailures = 0;
    } else if (++member.consecutiveFailures >= UNHEALTHY_AFTER) {
      if (member.healthy) log.warn('upstream member down', { group: group.name, member: member.name, reason: 'health check failed' });
      member.healthy = false;
    }
  };
  const timer = setInterval(() => {
    for (const group of groups) for (const member of group.members) void probe(group, member);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
