import type { RunRecord } from '../harness/index.ts';

// The end-of-test summary on the console, k6-like, rendered from run.json alone.

/** Columns whose index is in `left` are left-aligned (text); the rest right-aligned (numbers). */
const pad = (rows: string[][], left: readonly number[] = [0]): string[] => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
};
const ms = (value: number) => (value >= 1_000 ? `${(value / 1_000).toFixed(2)}s` : `${value.toFixed(value < 10 ? 2 : 1)}ms`);

/** What the latencies are measured from, by driver: a reader must know before comparing them. */
const LATENCY_BASIS: Record<string, string> = {
  'rushhour-open-model': 'from the intended send time (coordinated-omission corrected)',
  'rushhour-closed-model': 'from the send (closed model: each VU waits for its answer before the next)',
  autocannon: 'from the actual send (autocannon, closed model, flat out)',
  k6: "as k6 measured it (from k6's summary)",
};

export function renderConsoleSummary(record: RunRecord): string {
  const lines: string[] = [];
  const seconds = (record.durationMs ?? 0) / 1_000;
  const c = record.client;
  lines.push(`  scenario ${record.name} (${record.description}) · ${record.provider} · ${record.driver} · scale ${record.scale}`);
  lines.push(`  iterations ${c.iterations} (${(c.iterations / Math.max(seconds, 1e-9)).toFixed(1)}/s) · dropped ${c.dropped} · requests ${c.requests} · failed ${c.failedRequests} (${c.requests ? ((c.failedRequests / c.requests) * 100).toFixed(2) : '0.00'} %) · VUs max ${c.maxVUsUsed} · ${seconds.toFixed(1)} s`);
  if (record.warmup) {
    const w = record.warmup;
    lines.push(`  warm-up before t=0 (not judged): ${(w.durationMs / 1_000).toFixed(1)} s at ${w.rate}/s · requests ${w.requests} · failed ${w.failedRequests}${w.p95Ms === null ? '' : ` · p95 ${ms(w.p95Ms)}`}`);
  }
  lines.push('');
  const endpointRows = Object.entries(c.endpoints).map(([name, e]) => [name, String(e.count), String(e.failed), ms(e.avg), ms(e.p50), ms(e.p90), ms(e.p95), ms(e.p99), ms(e.max)]);
  if (endpointRows.length) {
    lines.push(`  latency ${LATENCY_BASIS[record.driver] ?? 'per request'}:`);
    for (const line of pad([['endpoint', 'count', 'failed', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'], ...endpointRows])) lines.push(`    ${line}`);
    lines.push('');
  }
  if (record.invariants) {
    const o = record.invariants.operations;
    lines.push(`  writes checked against the database: book ok ${o.book.ok} · refused ${o.book.fail} · indeterminate ${o.book.info}; pay ok ${o.pay.ok} · refused ${o.pay.fail} · indeterminate ${o.pay.info}`);
    lines.push('');
  }
  lines.push(...renderAnalysis(record));
  const checks = record.verdict?.checks ?? [];
  if (checks.length) {
    lines.push('  checks:');
    for (const line of pad([['', 'kind', 'name', 'expression', 'observed', 'window'], ...checks.map((k) => [k.ok ? '✓ pass' : '✗ FAIL', k.kind, k.name, k.expression.length > 70 ? `${k.expression.slice(0, 67)}...` : k.expression, k.observed === null ? 'no data' : String(k.observed), k.window])], [0, 1, 2, 3])) lines.push(`    ${line}`);
    lines.push('');
  }
  if (record.generator) {
    const g = record.generator;
    lines.push(`  generator${g.workers > 1 ? ` (${g.workers} worker threads)` : ""}: CPU max ${(g.cpuCoresMax * 100).toFixed(0)} % of a core · event-loop lag p99 ${g.eventLoopLagMsP99} ms · dropped ${g.droppedIterations}`);
    const h = g.host;
    if (h && h.series.length) lines.push(`  machine: CPU steal mean ${pctOf(h.stealPctMean)}, max ${pctOf(h.stealPctMax)} · I/O stall max ${pctOf(h.ioPctMax)} · memory stall max ${pctOf(h.memoryPctMax)}`);
    if (g.warning) lines.push(`  WARNING: ${g.warning}`);
  }
  const verdict = record.verdict;
  lines.push(verdict ? `  verdict: ${verdict.ok ? 'PASSED' : record.status === 'interrupted' ? 'INTERRUPTED' : 'FAILED'} (exit ${verdict.exitCode})${verdict.reasons.length ? `\n    ${verdict.reasons.join('\n    ')}` : ''}` : `  verdict: none (${record.status})`);
  return lines.join('\n');
}

const pctOf = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(0)} %`);

/** The breakpoint's steps, the spike's recovery and the soak's drift, when the scenario measured them. */
function renderAnalysis(record: RunRecord): string[] {
  const lines: string[] = [];
  const { breakpoint, recovery, drift } = record.analysis ?? { breakpoint: null, recovery: null, drift: null };
  if (breakpoint) {
    lines.push(`  breakpoint (stop at errors > ${breakpoint.stopAt.errorRate * 100} % or p95 > ${breakpoint.stopAt.p95}):`);
    const rows = breakpoint.steps
      .filter((step) => step.green !== null)
      .map((step) => [step.green ? '✓ green' : '✗ red', `${step.rate}/s`, `${step.fromSecond}–${step.toSecond} s`, String(step.requests), step.errorRate === null ? '-' : `${(step.errorRate * 100).toFixed(1)} %`, step.p95Ms === null ? '-' : ms(step.p95Ms), step.note ?? '']);
    for (const line of pad([['', 'rate', 'window', 'requests', 'errors', 'p95', 'note'], ...rows], [0, 6])) lines.push(`    ${line}`);
    lines.push(`    ${breakpoint.summary}${breakpoint.stoppedBy ? `; stopped: ${breakpoint.stoppedBy}` : ''}`, '');
  }
  if (recovery) {
    const when = recovery.recoverySeconds === null ? 'not recovered by the end of the run' : `recovered ${recovery.recoverySeconds} s after ${record.kind === 'chaos' ? 'the last revert' : 'the peak'} (t=${recovery.recoveredAtSecond} s)`;
    lines.push(`  recovery: ${when}; baseline p95 ${recovery.baselineP95Ms === null ? '-' : ms(recovery.baselineP95Ms)}; criterion: ${recovery.criterion}`, '');
  }
  if (drift) {
    const l = drift.latency;
    lines.push(`  drift: p95 ${l.firstP95Ms === null ? '-' : ms(l.firstP95Ms)} (${l.firstWindow}) → ${l.lastP95Ms === null ? '-' : ms(l.lastP95Ms)} (${l.lastWindow}), ×${l.ratio ?? '-'}`);
    for (const m of drift.memory) lines.push(`    heap floor ${m.service} ${m.instance}: ${m.heapFloorFirstMB} → ${m.heapFloorLastMB} MB (${m.heapGrowthMB >= 0 ? '+' : ''}${m.heapGrowthMB} MB; RSS ${m.rssMBAtEnd} MB at the end)`);
    lines.push('');
  }
  return lines;
}
