// Generator memory over a soak: the open-model driver at a steady rate against a trivial
// loopback server (its own process) for 10 minutes by default. Heap and RSS are sampled every
// 10 s; after the first minute (warm-up: JIT, pools, histogram buckets) memory should be flat.
// Prints the samples, heap after warm-up against heap at the end (the ratio), and the least-
// squares heap slope in MB per hour over the post-warm-up samples.
// Usage: npm run bench:memory [-- --minutes 10] [-- --rate 500]
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runPlan } from '../harness/load/engine.ts';
import { executorSchema, planExecutor } from '../harness/load/executors.ts';
import { MetricRegistry } from '../harness/metrics/registry.ts';

const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '500' } } });
const minutes = Number(values.minutes);
const rate = Number(values.rate);

const server = spawn(process.execPath, ['-e', `const s = require('node:http').createServer((q, r) => r.end('ok')); s.listen(0, '127.0.0.1', () => process.stdout.write(String(s.address().port) + '\\n'));`], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = Number(await new Promise<string>((resolve) => server.stdout.once('data', (chunk) => resolve(String(chunk)))));
const MB = 2 ** 20;
const samples: { t: number; heapMB: number; rssMB: number }[] = [];
const sample = (t: number) => {
  // A collection first when exposed (node --expose-gc), so the sample is live data, not garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const usage = process.memoryUsage();
  samples.push({ t, heapMB: usage.heapUsed / MB, rssMB: usage.rss / MB });
};
const metrics = new MetricRegistry();
try {
  await runPlan({
    target: `http://127.0.0.1:${port}`,
    plan: planExecutor(executorSchema.parse({ type: 'constant-arrival-rate', rate, duration: `${minutes}m`, preAllocatedVUs: 50, maxVUs: 500 }), 1, 'bench'),
    metrics,
    signal: new AbortController().signal,
    iteration: async (http) => {
      await http.request(['a', 'b', 'c', 'd'][Math.floor(Math.random() * 4)]!, 'GET', '/');
    },
    onSecond: (second) => {
      // The registry's per-second series is flushed as in a real run (it is part of the memory).
      metrics.flushBefore(second);
      if (second % 10 === 0) sample(second);
    },
  });
} finally {
  server.kill();
}
const after = samples.filter((s) => s.t >= 60);
const first = after[0]!;
const last = after.at(-1)!;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const tx = mean(after.map((s) => s.t));
const hy = mean(after.map((s) => s.heapMB));
const slope = after.reduce((sum, s) => sum + (s.t - tx) * (s.heapMB - hy), 0) / after.reduce((sum, s) => sum + (s.t - tx) ** 2, 0);
console.log(`generator memory (open model, ${rate} req/s for ${minutes} min, 4 endpoints, ${(metrics.sink({ metric: 'http_reqs', key: 'http_reqs', tags: {} }) as { count: number }).count} requests${(globalThis as { gc?: unknown }).gc ? ', sampled after a forced GC' : ''}):`);
for (const s of samples.filter((_, i) => i % 6 === 0 || i === samples.length - 1)) console.log(`  t=${String(s.t).padStart(4)} s  heap ${s.heapMB.toFixed(1).padStart(6)} MB  rss ${s.rssMB.toFixed(1).padStart(6)} MB`);
console.log(`  heap after warm-up (t=${first.t} s) ${first.heapMB.toFixed(1)} MB → at the end ${last.heapMB.toFixed(1)} MB: ratio ${(last.heapMB / first.heapMB).toFixed(2)} (flat = 1.00)`);
console.log(`  heap slope after warm-up: ${(slope * 3_600).toFixed(1)} MB/h (least squares over ${after.length} samples); series points kept: ${metrics.series.length}`);
