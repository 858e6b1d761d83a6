import { z } from 'zod';
import { PROXIED_LINKS } from '../../harness/stack-plan.ts';
import { crash, hang } from './component.ts';
import { replicaLag, slowQueryStorm } from './database.ts';
import type { ActiveFault, FaultContext } from './fault.ts';
import { linkDown, linkLatency, linkTimeout } from './link.ts';

export type { ActiveFault, FaultContext } from './fault.ts';

// Every fault as data (what an experiment's method lists), validated once, and the one
// function that injects any of them.

export const faultSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('crash'), component: z.string().min(1) }),
  z.strictObject({ type: z.literal('hang'), component: z.string().min(1) }),
  z.strictObject({ type: z.literal('link-down'), link: z.enum(PROXIED_LINKS) }),
  z.strictObject({ type: z.literal('link-latency'), link: z.enum(PROXIED_LINKS), latencyMs: z.number().int().positive().max(60_000), jitterMs: z.number().int().min(0).max(60_000).optional() }),
  z.strictObject({ type: z.literal('link-timeout'), link: z.enum(PROXIED_LINKS), timeoutMs: z.number().int().min(0).max(600_000) }),
  z.strictObject({ type: z.literal('replica-lag'), mode: z.enum(['pause-replay', 'apply-delay']), delayMs: z.number().int().positive().max(600_000).optional() }),
  z.strictObject({ type: z.literal('slow-query-storm'), connections: z.number().int().positive().max(50), queryMs: z.number().int().positive().max(600_000) }),
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
    case 'link-latency':
      return linkLatency(context, spec.link, spec.latencyMs, spec.jitterMs);
    case 'link-timeout':
      return linkTimeout(context, spec.link, spec.timeoutMs);
    case 'replica-lag':
      return replicaLag(context, spec.mode === 'pause-replay' ? { kind: 'pause-replay' } : { kind: 'apply-delay', delayMs: spec.delayMs ?? 3_000 });
    case 'slow-query-storm':
      return slowQueryStorm(context, { connections: spec.connections, queryMs: spec.queryMs });
  }
}
