// SUT capacity: the knee of the built-in breakpoint scenario (the mixed 70/30 workload stepped
// up until a step's errors pass 10 % or its p95 passes 5 s) on a local stack on this machine,
// with the open-model driver. Prints each step and the knee, and the generator's CPU beside the
// knee, so a reader can tell whether the SUT or the harness gave out first. The peer, measured
// in the same run: autocannon flat out on the same stack (the `throughput` read list), whose
// requests/s is an upper bound the knee (with SLOs green, open model, writes included) sits under.
// Usage: npm run bench:capacity [-- --hold 30s] [-- --scale 1]
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { breakpointStages, harnessDefaults, runScenario, up } from '../harness/index.ts';
import breakpoint from '../scenarios/breakpoint.ts';
import throughput from '../scenarios/throughput.ts';

const { values } = parseArgs({ options: { hold: { type: 'string', default: '30s' }, scale: { type: 'string', default: '1' } } });
const runsDir = mkdtempSync(path.join(os.tmpdir(), 'rushhour-capacity-'));
const config = { ...harnessDefaults, provider: 'local' as const };
const stack = await up(config, 'local');
try {
  const scenario = { ...breakpoint, executor: { ...breakpoint.executor, stages: breakpointStages({ from: 40, to: 600, step: 40, hold: values.hold! }) } };
  const knee = await runScenario({ scenario, source: 'scenarios/breakpoint.ts', config, provider: 'local', scale: Number(values.scale), runsDir });
  const result = knee.record.analysis.breakpoint!;
  const flatOut = await runScenario({ scenario: throughput, source: 'scenarios/throughput.ts', config, provider: 'local', scale: 1, runsDir });
  const generator = knee.record.generator;
  console.log(`SUT capacity (local stack, ${os.cpus().length} cores shared with the generator; mixed 70/30, steps held ${values.hold}):`);
  for (const step of result.steps.filter((s) => s.green !== null)) {
    console.log(`  ${step.green ? 'green' : 'red  '} ${String(step.rate).padStart(4)} req/s  errors ${((step.errorRate ?? 0) * 100).toFixed(1).padStart(5)} %  p95 ${String(step.p95Ms).padStart(8)} ms  ${step.note ?? ''}`);
  }
  console.log(`  knee: ${result.knee ?? 'none'} req/s (${result.summary})`);
  console.log(`  generator at the end: CPU max ${Math.round((generator?.cpuCoresMax ?? 0) * 100)} % of a core, event-loop lag p99 ${generator?.eventLoopLagMsP99} ms, dropped ${generator?.droppedIterations}`);
  const reads = flatOut.record.client.requests / ((flatOut.record.durationMs ?? 1) / 1_000);
  console.log(`  peer: autocannon flat out on reads, 20 connections: ${reads.toFixed(0)} req/s (p50 ${flatOut.record.client.endpoints.search?.p50} ms)`);
  if (result.knee) console.log(`  knee / autocannon read ceiling = ${(result.knee / reads).toFixed(2)}`);
  console.log(`  records: ${knee.dir}, ${flatOut.dir}`);
} finally {
  await stack.stop();
}
