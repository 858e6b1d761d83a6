import os from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { GeneratorHealth } from '../run/record.ts';

/**
 * Watches the load generator itself: its CPU (process.cpuUsage, as cores busy) each second and
 * its event-loop delay. On a 2-core machine the generator and the SUT share the CPU, so a
 * reader must know when the harness, not the SUT, was the bottleneck.
 */
export function watchGenerator(workers = 1): { tick(t: number): void; finish(dropped: number): GeneratorHealth } {
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
    },
    finish(dropped) {
      delay.disable();
      const lagP99 = delay.percentile(99) / 1e6;
      const lagMax = delay.max / 1e6;
      const cpuMax = cpu.reduce((max, point) => Math.max(max, point.cores), 0);
      const reasons: string[] = [];
      // One busy core is the ceiling of one Node event loop; with worker threads, one per
      // thread (process CPU counts them all), and never more than the machine has.
      const ceiling = Math.min(workers, os.cpus().length);
      if (cpuMax >= 0.9 * ceiling) reasons.push(`generator CPU reached ${Math.round(cpuMax * 100)} % of a core${ceiling > 1 ? ` (${workers} worker threads)` : ''}`);
      if (lagP99 > 50) reasons.push(`event-loop lag p99 ${lagP99.toFixed(0)} ms`);
      const notes: string[] = [];
      if (reasons.length) notes.push(`the generator may have been the bottleneck: ${reasons.join('; ')}`);
      // Drops are the VU pool's limit, not necessarily the generator's: say which.
      if (dropped > 0) notes.push(`${dropped} iterations dropped: maxVUs reached (answers too slow for the VU pool, or the pool too small)`);
      return {
        cpu,
        eventLoopLagMsP99: Math.round(lagP99 * 10) / 10,
        eventLoopLagMsMax: Math.round(lagMax * 10) / 10,
        cpuCoresMax: cpuMax,
        droppedIterations: dropped,
        workers,
        warning: notes.length ? notes.join('; ') : null,
      };
    },
  };
}
