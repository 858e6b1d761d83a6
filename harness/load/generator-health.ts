import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { GeneratorHealth } from '../run/record.ts';
import { watchHost } from './host-health.ts';

/**
 * Watches the load generator itself: its CPU (process.cpuUsage, as cores busy) each second and
 * its event-loop delay. On a 2-core machine the generator and the SUT share the CPU, so a
 * reader must know when the harness, not the SUT, was the bottleneck.
 */
export function watchGenerator(workers = 1): { tick(t: number): void; finish(dropped: number): GeneratorHealth } {
  // The machine is watched on the same second: a slow SUT in a second the VM lost is the VM's.
  const host = watchHost();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const cpu: GeneratorHealth['cpu'] = [];
  let last = process.cpuUsage();
  let lastAt = performance.now();
  return {
    tick(t) {
      const now = performance.now();
      const usage = process.cpuUsage(last);
      last = process.cpuUsage();
      cpu.push({ t, cores: Math.round(((usage.user + usage.system) / 1_000 / (now - lastAt)) * 100) / 100 });
      lastAt = now;
      host.tick(t);
    },
    finish(dropped) {
      delay.disable();
      const lagP99 = delay.percentile(99) / 1e6;
      const lagMax = delay.max / 1e6;
      const cpuMax = cpu.reduce((max, point) => Math.max(max, point.cores), 0);
      const reasons = generatorBottleneck({ cpuCoresMax: cpuMax, eventLoopLagMsP99: lagP99, workers }, os.cpus().length);
      const machine = host.finish();
      const notes: string[] = [];
      if (reasons.length) notes.push(`the generator may have been the bottleneck: ${reasons.join('; ')}`);
      if (machine.warning) notes.push(machine.warning);
      // Drops are the VU pool's limit, not necessarily the generator's: say which.
      if (dropped > 0) notes.push(`${dropped} iterations dropped: maxVUs reached (answers too slow for the VU pool, or the pool too small)`);
      return {
        cpu,
        eventLoopLagMsP99: Math.round(lagP99 * 10) / 10,
        eventLoopLagMsMax: Math.round(lagMax * 10) / 10,
        cpuCoresMax: cpuMax,
        droppedIterations: dropped,
        workers,
        host: machine,
        warning: notes.length ? notes.join('; ') : null,
      };
    },
  };
}

/**
 * Why the generator, not the SUT, may have been the bottleneck (none: it kept up). One busy
 * core is the ceiling of one Node event loop; with worker threads, one per thread (process CPU
 * counts them all), and never more than the machine has. An event loop late by more than 50 ms
 * at p99 sends requests late, and charges that lateness to the SUT.
 */
export function generatorBottleneck(health: Pick<GeneratorHealth, 'cpuCoresMax' | 'eventLoopLagMsP99' | 'workers'>, cpus: number): string[] {
  const reasons: string[] = [];
  const ceiling = Math.min(health.workers, cpus);
  if (health.cpuCoresMax >= 0.9 * ceiling) reasons.push(`generator CPU reached ${Math.round(health.cpuCoresMax * 100)} % of a core${ceiling > 1 ? ` (${health.workers} worker threads)` : ''}`);
  if (health.eventLoopLagMsP99 > 50) reasons.push(`event-loop lag p99 ${health.eventLoopLagMsP99.toFixed(0)} ms`);
  return reasons;
}

/**
 * What the run's record says may have decided its timings instead of the SUT: the generator as
 * the bottleneck, and the machine's stalls. Empty when neither was seen (or nothing measured).
 */
export function bottleneckCauses(health: GeneratorHealth | null | undefined, cpus: number): string[] {
  if (!health) return [];
  const generator = generatorBottleneck(health, cpus);
  return [generator.length ? `the generator was the bottleneck (${generator.join('; ')})` : null, health.host?.warning ?? null].filter((cause): cause is string => cause !== null);
}
