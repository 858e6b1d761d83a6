import { readFileSync } from 'node:fs';
import type { HostHealth } from '../run/record.ts';

/**
 * Watches the machine the whole run shares: the SUT, its databases and the generator. Two
 * kinds of time the machine took away from all of them, which no SUT change can win back:
 *
 * - CPU steal (/proc/stat): time the hypervisor ran someone else on this VM's CPUs;
 * - stall pressure (/proc/pressure/io and memory, Linux PSI "some"): time at least one task
 *   waited on the disk or on reclaimed memory. On these VMs the kernel pages idle file pages
 *   out, and a database or a Node process faulting its code back in can stand still for
 *   seconds while the load generator, in its own warm loop, sees only a slow SUT.
 *
 * Each second gets its share (0–100 %) of each. Where /proc has neither (not Linux, or PSI
 * off), the series is empty and nothing is claimed.
 */

/** A stretch of seconds this long, each at or over the mark, is a stall worth naming. */
export const STALL_SECONDS = 3;
// Steal's mark is half the CPU: this VM's host gives away 30–40 % for seconds at a time, and
// over 50 % for a whole canary plan once, in runs that passed; less is the weather here.
export const STALL_MARKS = { stealPct: 50, ioPct: 50, memoryPct: 25 } as const;

interface Counters {
  at: number;
  steal: number | null;
  cpuTotal: number | null;
  ioSomeUs: number | null;
  memorySomeUs: number | null;
}

const readOr = (file: string): string | null => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
};

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal ... */
function cpuCounters(): { steal: number; total: number } | null {
  const line = readOr('/proc/stat')?.split('\n', 1)[0];
  if (!line?.startsWith('cpu ')) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((f) => !Number.isFinite(f))) return null;
  return { steal: fields[7]!, total: fields.reduce((sum, f) => sum + f, 0) };
}

/** `some ... total=<µs>` of a PSI file. */
function someTotalUs(resource: 'io' | 'memory'): number | null {
  const match = /^some .*total=(\d+)/m.exec(readOr(`/proc/pressure/${resource}`) ?? '');
  return match ? Number(match[1]) : null;
}

function read(): Counters {
  const cpu = cpuCounters();
  return { at: performance.now(), steal: cpu?.steal ?? null, cpuTotal: cpu?.total ?? null, ioSomeUs: someTotalUs('io'), memorySomeUs: someTotalUs('memory') };
}

const pct = (part: number, whole: number) => (whole > 0 ? Math.round(Math.min(100, Math.max(0, (part / whole) * 100)) * 10) / 10 : 0);

export function watchHost(): { tick(t: number): void; finish(): HostHealth } {
  const series: HostHealth['series'] = [];
  let last = read();
  const available = last.steal !== null || last.ioSomeUs !== null || last.memorySomeUs !== null;
  return {
    tick(t) {
      if (!available) return;
      const now = read();
      const elapsedUs = (now.at - last.at) * 1_000;
      series.push({
        t,
        stealPct: now.steal !== null && last.steal !== null && now.cpuTotal !== null && last.cpuTotal !== null ? pct(now.steal - last.steal, now.cpuTotal - last.cpuTotal) : null,
        ioPct: now.ioSomeUs !== null && last.ioSomeUs !== null ? pct(now.ioSomeUs - last.ioSomeUs, elapsedUs) : null,
        memoryPct: now.memorySomeUs !== null && last.memorySomeUs !== null ? pct(now.memorySomeUs - last.memorySomeUs, elapsedUs) : null,
      });
      last = now;
    },
    finish() {
      return summariseHost(series);
    },
  };
}

type Resource = keyof typeof STALL_MARKS;
const LABELS: Record<Resource, string> = { stealPct: 'CPU steal', ioPct: 'I/O stall', memoryPct: 'memory stall' };

/** Stretches of at least STALL_SECONDS seconds with one resource at or over its mark. */
export function hostStalls(series: HostHealth['series']): HostHealth['stalls'] {
  const stalls: HostHealth['stalls'] = [];
  for (const resource of Object.keys(STALL_MARKS) as Resource[]) {
    let run: HostHealth['series'] = [];
    const close = () => {
      if (run.length >= STALL_SECONDS) {
        const values = run.map((p) => p[resource] ?? 0);
        stalls.push({ resource: LABELS[resource], fromSecond: run[0]!.t - 1, toSecond: run.at(-1)!.t, meanPct: Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10 });
      }
      run = [];
    };
    for (const point of series) {
      const value = point[resource];
      if (value !== null && value >= STALL_MARKS[resource]) run.push(point);
      else close();
    }
    close();
  }
  return stalls.sort((a, b) => a.fromSecond - b.fromSecond);
}

export function summariseHost(series: HostHealth['series']): HostHealth {
  // Seconds /proc could not measure count in neither the mean nor the maximum.
  const measured = (resource: Resource) => series.flatMap((p) => (p[resource] === null ? [] : [p[resource]!]));
  const max = (resource: Resource) => {
    const values = measured(resource);
    return values.length ? Math.max(...values) : null;
  };
  const mean = (resource: Resource) => {
    const values = measured(resource);
    return values.length ? Math.round((values.reduce((a, b) => a + b, 0) / values.length) * 10) / 10 : null;
  };
  const stalls = hostStalls(series);
  const warning = stalls.length ? `the machine stalled: ${stalls.map((s) => `${s.resource} ${s.meanPct.toFixed(0)} % over ${s.fromSecond}–${s.toSecond} s`).join('; ')}` : null;
  return {
    series,
    stealPctMean: mean('stealPct'),
    stealPctMax: max('stealPct'),
    ioPctMean: mean('ioPct'),
    ioPctMax: max('ioPct'),
    memoryPctMean: mean('memoryPct'),
    memoryPctMax: max('memoryPct'),
    stalls,
    warning,
  };
}
