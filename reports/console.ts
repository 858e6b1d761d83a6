import type { RunRecord } from '../harness/index.ts';

// The end-of-test summary on the console, k6-like, rendered from run.json alone.

/** Columns whose index is in `left` are left-aligned (text); the rest right-aligned (numbers). */
const pad = (rows: string[][], left: readonly number[] = [0]): string[] => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => row.map((cell, i) => (left.includes(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd());
};
const ms = (value: number) => (value >= 1_000 ? `${(value / 1_000).toFixed(2)}s` : `${value.toFixed(value < 10 ? 2 : 1)}ms`);

export function renderConsoleSummary(record: RunRecord): string {
  const lines: string[] = [];
  const seconds = (record.durationMs ?? 0) / 1_000;
  const c = record.client;
  lines.push(`  scenario ${record.name} (${record.description}) · ${record.provider} · ${record.driver} · scale ${record.scale}`);
  lines.push(`  iterations ${c.iterations} (${(c.iterations / Math.max(seconds, 1e-9)).toFixed(1)}/s) · dropped ${c.dropped} · requests ${c.requests} · failed ${c.failedRequests} (${c.requests ? ((c.failedRequests / c.requests) * 100).toFixed(2) : '0.00'} %) · VUs max ${c.maxVUsUsed} · ${seconds.toFixed(1)} s`);
  lines.push('');
  const endpointRows = Object.entries(c.endpoints).map(([name, e]) => [name, String(e.count), String(e.failed), ms(e.avg), ms(e.p50), ms(e.p90), ms(e.p95), ms(e.p99), ms(e.max)]);
  if (endpointRows.length) {
    lines.push('  latency from the intended send time (coordinated-omission corrected):');
    for (const line of pad([['endpoint', 'count', 'failed', 'avg', 'p50', 'p90', 'p95', 'p99', 'max'], ...endpointRows])) lines.push(`    ${line}`);
    lines.push('');
  }
  const checks = record.verdict?.checks ?? [];
  if (checks.length) {
    lines.push('  checks:');
    for (const line of pad([['', 'kind', 'name', 'expression', 'observed', 'window'], ...checks.map((k) => [k.ok ? '✓ pass' : '✗ FAIL', k.kind, k.name, k.expression.length > 70 ? `${k.expression.slice(0, 67)}...` : k.expression, k.observed === null ? 'no data' : String(k.observed), k.window])], [0, 1, 2, 3])) lines.push(`    ${line}`);
    lines.push('');
  }
  if (record.generator) {
    const g = record.generator;
    lines.push(`  generator: CPU max ${(g.cpuCoresMax * 100).toFixed(0)} % of a core · event-loop lag p99 ${g.eventLoopLagMsP99} ms · dropped ${g.droppedIterations}${g.warning ? `\n  WARNING: ${g.warning}` : ''}`);
  }
  const verdict = record.verdict;
  lines.push(verdict ? `  verdict: ${verdict.ok ? 'PASSED' : record.status === 'interrupted' ? 'INTERRUPTED' : 'FAILED'} (exit ${verdict.exitCode})${verdict.reasons.length ? `\n    ${verdict.reasons.join('\n    ')}` : ''}` : `  verdict: none (${record.status})`);
  return lines.join('\n');
}
