// Load-generator benchmarks, each a ratio against peers measured in the same run:
//   1. ceiling: requests/s of rushhour's closed-model driver vs wrk vs autocannon against the
//      same trivial loopback server (in its own process), 50 connections, 5 s each, in 5 interleaved rounds;
//   2. latency truth: an open-model run at 100 req/s against a server that answers in 10 ms
//      but stalls for 1 s every 5 s. Ground truth per request is known (time to the end of the
//      stall from the intended send, plus 10 ms); rushhour's p50/p99 beside autocannon's with
//      its own coordinated-omission "correction" and with it switched off.
// Usage: npm run bench:load [-- --seconds 5 --rounds 5]
import { spawn, spawnSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { fileURLToPath } from 'node:url';
import { runPlan } from '../harness/load/engine.ts';
import { runPlanInWorkers } from '../harness/load/workers.ts';
import { executorSchema, planExecutor } from '../harness/load/executors.ts';
import { MetricRegistry } from '../harness/metrics/registry.ts';
import type { TrendSink } from '../harness/metrics/sinks.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '5' } } });
const seconds = Number(values.seconds);
const rounds = Number(values.rounds);

/** A server in a child process, so it does not share the generator's event loop. */
async function startServer(mode: 'trivial' | 'stall'): Promise<{ url: string; startedAt: number; stop: () => void }> {
  const source = `
    const http = require('node:http');
    const t0 = Date.now();
    const server = http.createServer((req, res) => {
      if (${mode === 'stall'}) {
        // Stalls from second 5k to 5k+1: a request arriving then waits for the stall's end.
        const t = (Date.now() - t0) % 5000;
        const wait = (t >= 4000 ? 5000 - t : 0) + 10;
        setTimeout(() => res.end('ok'), wait);
      } else res.end('ok');
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port, t0 }) + '\\n'));`;
  const child = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve) => child.stdout.once('data', (chunk) => resolve(String(chunk))));
  const { port, t0 } = JSON.parse(line) as { port: number; t0: number };
  return { url: `http://127.0.0.1:${port}`, startedAt: t0, stop: () => child.kill() };
}

const duration = (metrics: MetricRegistry) => metrics.sink({ metric: 'http_req_duration', key: 'http_req_duration', tags: {} }) as TrendSink;

/** Throughput, and what each request cost the generator in CPU (immune to the VM's stolen time). */
interface Measured {
  rate: number;
  cpuUsPerRequest: number;
}

async function inProcess(run: () => Promise<{ requests: number; ms: number }>): Promise<Measured> {
  const before = process.cpuUsage();
  const { requests, ms } = await run();
  const cpu = process.cpuUsage(before);
  return { rate: requests / (ms / 1_000), cpuUsPerRequest: (cpu.user + cpu.system) / requests };
}

function rushhourClosed(url: string, workers = 1): Promise<Measured> {
  return inProcess(async () => {
    const metrics = new MetricRegistry();
    const plan = planExecutor(executorSchema.parse({ type: 'constant-vus', vus: 50, duration: `${seconds}s` }), 1, 'bench');
    const signal = new AbortController().signal;
    const result =
      workers === 1
        ? await runPlan({ target: url, plan, metrics, signal, iteration: async (http) => void (await http.request('root', 'GET', '/')) })
        : await runPlanInWorkers({ target: url, plan, metrics, signal, workers, workload: { module: fileURLToPath(new URL('./ceiling.scenario.ts', import.meta.url)), source: 'bench/ceiling.scenario.ts', context: { dataset: null, topology: null, seed: 1 } } });
    return { requests: duration(metrics).count, ms: result.durationMs };
  });
}

/** wrk under bash, whose `times` prints the CPU its children used. */
function wrk(url: string): Measured | null {
  const run = spawnSync('bash', ['-c', `wrk -t2 -c50 -d${seconds}s ${url} && times`], { encoding: 'utf8' });
  if (run.status !== 0) return null;
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(run.stdout);
  const total = /(\d+) requests in/.exec(run.stdout);
  // `times`: the shell's user and system time, then its children's ("0m1.234s 0m2.345s").
  const children = run.stdout.trim().split('\n').at(-1)!.match(/(\d+)m([\d.]+)s/g) ?? [];
  const cpuSeconds = children.reduce((sum, t) => {
    const [, m, sec] = /(\d+)m([\d.]+)s/.exec(t)!;
    return sum + Number(m) * 60 + Number(sec);
  }, 0);
  return rate && total ? { rate: Number(rate[1]), cpuUsPerRequest: (cpuSeconds * 1e6) / Number(total[1]) } : null;
}

async function autocannonRun(options: autocannon.Options): Promise<autocannon.Result> {
  return autocannon({ ...options, duration: seconds });
}

function quantile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// 1. Ceiling. This VM's throughput drifts by a third from minute to minute (wrk alone measured
// 16k to 29k req/s within one run), so one run of each tool would compare different machines:
// the tools run in interleaved rounds, each round gives its own ratios, and the medians are
// reported. CPU per request is also printed: stolen time does not count in it, so it is the
// steadier measure of what the generator costs.
{
  const server = await startServer('trivial');
  const rows: { wrk: Measured | null; ours: Measured; ac: Measured }[] = [];
  for (let round = 0; round < rounds; round++) {
    const theirs = wrk(server.url);
    const ours = await rushhourClosed(server.url);
    const ac = await inProcess(async () => {
      const result = await autocannonRun({ url: server.url, connections: 50 });
      return { requests: result.requests.total, ms: result.duration * 1_000 };
    });
    rows.push({ wrk: theirs, ours, ac });
  }
  const workers2 = await rushhourClosed(server.url, 2);
  server.stop();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const cell = (m: Measured, of: Measured | null) => `${m.rate.toFixed(0)} req/s${of ? ` (${(m.rate / of.rate).toFixed(2)} of wrk)` : ''}, ${m.cpuUsPerRequest.toFixed(0)} µs CPU/req`;
  console.log(`ceiling (trivial loopback server, 50 connections, ${seconds} s each, ${rounds} interleaved rounds, 2 cores shared):`);
  for (const [i, row] of rows.entries()) {
    console.log(`  round ${i + 1}: wrk ${row.wrk ? cell(row.wrk, null) : 'not installed'} · rushhour ${cell(row.ours, row.wrk)} · autocannon ${cell(row.ac, row.wrk)}`);
  }
  console.log(`  rushhour with 2 worker threads: ${cell(workers2, null)} (one run, after the rounds)`);
  const measured = rows.filter((row) => row.wrk !== null);
  if (measured.length > 0) {
    const of = (pick: (row: (typeof rows)[number]) => Measured) => median(measured.map((row) => pick(row).rate / row.wrk!.rate)).toFixed(2);
    const cpu = (pick: (row: (typeof rows)[number]) => Measured | null) => median(rows.map((row) => pick(row)?.cpuUsPerRequest ?? NaN)).toFixed(0);
    console.log(`  median throughput of wrk's: rushhour ${of((row) => row.ours)} (target ≥ 0.95) · autocannon ${of((row) => row.ac)}`);
    console.log(`  median CPU per request: wrk ${cpu((row) => row.wrk)} µs (C, 2 threads) · rushhour ${cpu((row) => row.ours)} µs · autocannon ${cpu((row) => row.ac)} µs`);
  }
}

// 2. Latency truth under a periodic stall.
{
  const rate = 100;
  const server = await startServer('stall');
  const metrics = new MetricRegistry();
  const intended: number[] = [];
  const wallAtPerf = Date.now() - performance.now();
  await runPlan({
    target: server.url,
    plan: planExecutor(executorSchema.parse({ type: 'constant-arrival-rate', rate, duration: `${seconds}s`, preAllocatedVUs: 200, maxVUs: 400 }), 1, 'bench'),
    metrics,
    signal: new AbortController().signal,
    iteration: async (http) => {
      intended.push(performance.now() + wallAtPerf);
      await http.request('root', 'GET', '/');
    },
  });
  // Ground truth: from each intended send, the rest of the stall (if any) plus 10 ms.
  const truth = intended.map((wall) => {
    const t = (wall - server.startedAt) % 5_000;
    return (t >= 4_000 ? 5_000 - t : 0) + 10;
  });
  truth.sort((a, b) => a - b);
  const ours = duration(metrics);
  const corrected = await autocannonRun({ url: server.url, connections: 200, overallRate: rate });
  const ignored = await autocannonRun({ url: server.url, connections: 200, overallRate: rate, ignoreCoordinatedOmission: true });
  server.stop();
  const fmt = (p50: number, p99: number) => `p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`;
  console.log(`latency truth (${rate} req/s open model, 10 ms service, a 1 s stall every 5 s, ${seconds} s):`);
  console.log(`  ground truth            ${fmt(quantile(truth, 50), quantile(truth, 99))}  (${truth.length} requests)`);
  console.log(`  rushhour                ${fmt(ours.percentile(50), ours.percentile(99))}  (${ours.count} samples)`);
  console.log(`  autocannon (its CO fix) ${fmt(corrected.latency.p50, corrected.latency.p99)}  (${(corrected.latency as unknown as { totalCount: number }).totalCount} samples for ${corrected.requests.total} requests)`);
  console.log(`  autocannon (CO ignored) ${fmt(ignored.latency.p50, ignored.latency.p99)}  (${(ignored.latency as unknown as { totalCount: number }).totalCount} samples)`);
  console.log(`  rushhour p99 / truth p99 = ${(ours.percentile(99) / quantile(truth, 99)).toFixed(2)}; autocannon (CO ignored) p99 / truth p99 = ${(ignored.latency.p99 / quantile(truth, 99)).toFixed(2)}`);
}
