import { z } from 'zod';
import { DEPENDENCIES, LINK_TARGETS } from '../../harness/stack-plan.ts';
import { crash, hang } from './component.ts';
import { poolExhaustion, replicaLag, slowQueryStorm, WRITE_TABLES } from './database.ts';
import type { ActiveFault, FaultContext } from './fault.ts';
import { linkBandwidth, linkDown, linkLatency, linkPartition, linkTimeout } from './link.ts';

export type { ActiveFault, FaultContext } from './fault.ts';

// Every fault as data (what an experiment's method lists), validated once, and the one
// function that injects any of them.

export const faultSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('crash'), component: z.string().min(1) }),
  z.strictObject({ type: z.literal('hang'), component: z.string().min(1) }),
  z.strictObject({ type: z.literal('link-down'), link: z.enum(LINK_TARGETS) }),
  // A network partition between one service and one dependency: that service's link drops every packet.
  z.strictObject({ type: z.literal('partition'), service: z.enum(['matching', 'booking']), dependency: z.enum(DEPENDENCIES) }).refine((f) => LINK_TARGETS.includes(`${f.service}.${f.dependency}`), { message: 'that service does not reach that dependency (booking never uses postgres-replica)', path: ['dependency'] }),
  z.strictObject({ type: z.literal('link-latency'), link: z.enum(LINK_TARGETS), latencyMs: z.number().int().positive().max(60_000), jitterMs: z.number().int().min(0).max(60_000).optional() }),
  z.strictObject({ type: z.literal('link-bandwidth'), link: z.enum(LINK_TARGETS), rateKBps: z.number().int().positive().max(10_000_000) }),
  z.strictObject({ type: z.literal('link-timeout'), link: z.enum(LINK_TARGETS), timeoutMs: z.number().int().min(0).max(600_000) }),
  z.strictObject({ type: z.literal('replica-lag'), mode: z.enum(['pause-replay', 'apply-delay']), delayMs: z.number().int().positive().max(600_000).optional() }),
  z.strictObject({ type: z.literal('pool-exhaustion'), table: z.enum(WRITE_TABLES) }),
  // `sleep` (the default): connections × pg_sleep(queryMs) back to back; `scan`: runaway reports
  // arriving at reportsPerSecond as the reporting role, ended only by its statement_timeout.
  z
    .strictObject({
      type: z.literal('slow-query-storm'),
      work: z.enum(['sleep', 'scan']).optional(),
      connections: z.number().int().positive().max(50).optional(),
      queryMs: z.number().int().positive().max(600_000).optional(),
      reportsPerSecond: z.number().positive().max(50).optional(),
      maxSessions: z.number().int().positive().max(100).optional(),
    })
    .superRefine((f, ctx) => {
      const [needs, forbids] = f.work === 'scan' ? [['reportsPerSecond'], ['connections', 'queryMs']] : [['connections', 'queryMs'], ['reportsPerSecond', 'maxSessions']];
      for (const key of needs) if (f[key as keyof typeof f] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `required when work is ${f.work ?? 'sleep'}` });
      for (const key of forbids) if (f[key as keyof typeof f] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: `not used when work is ${f.work ?? 'sleep'}` });
    }),
]);

export type FaultSpec = z.infer<typeof faultSchema>;

export function injectFault(context: FaultContext, spec: FaultSpec): Promise<ActiveFault> {
  switch (spec.type) {
    case 'crash':
      return crash(context, spec.component);
    case 'hang':
      return hang(context, spec.component);
    case 'link-down':
      return linkDown(context, spec.link);
    case 'partition':
      return linkPartition(context, `${spec.service}.${spec.dependency}`);
    case 'link-bandwidth':
      return linkBandwidth(context, spec.link, spec.rateKBps);
    case 'link-latency':
      return linkLatency(context, spec.link, spec.latencyMs, spec.jitterMs);
    case 'link-timeout':
      return linkTimeout(context, spec.link, spec.timeoutMs);
    case 'replica-lag':
      return replicaLag(context, spec.mode === 'pause-replay' ? { kind: 'pause-replay' } : { kind: 'apply-delay', delayMs: spec.delayMs ?? 3_000 });
    case 'pool-exhaustion':
      return poolExhaustion(context, { table: spec.table });
    case 'slow-query-storm':
      return spec.work === 'scan'
        ? slowQueryStorm(context, { work: 'scan', reportsPerSecond: spec.reportsPerSecond!, ...(spec.maxSessions ? { maxSessions: spec.maxSessions } : {}) })
        : slowQueryStorm(context, { work: 'sleep', connections: spec.connections!, queryMs: spec.queryMs! });
  }
}
