import type { RunRecord } from '../harness/index.ts';
import { formatDelta, formatValue, type Comparison } from './compare.ts';
import type { NightlyPartResult } from './junit.ts';

// Markdown for CI job summaries and pull-request comments: the verdict, the failed checks
// first, every check, the endpoint table. GitHub-flavoured tables; pipes in text escaped.

const cell = (text: unknown) => String(text).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const ms = (value: number) => (value >= 1_000 ? `${(value / 1_000).toFixed(2)} s` : `${value.toFixed(value < 10 ? 2 : 1)} ms`);
const observed = (value: number | null) => (value === null ? 'no data' : Number.isInteger(value) ? String(value) : value.toFixed(4).replace(/\.?0+$/, ''));

export function renderMarkdownSummary(record: RunRecord): string {
  const lines: string[] = [];
  const v = record.verdict;
  const word = !v ? '⚠️ **NO VERDICT**' : v.ok ? '✅ **PASSED**' : '❌ **FAILED**';
  const seconds = ((record.durationMs ?? 0) / 1_000).toFixed(1);
  lines.push(`### rushhour ${record.kind}: ${record.name}: ${word}${v ? ` (exit ${v.exitCode})` : ` (run ${record.status})`}`);
  lines.push('');
  lines.push(`Run \`${record.id}\` · ${record.provider} · ${record.driver} · scale ${record.scale} · ${seconds} s · ${record.client.requests} requests, ${record.client.failedRequests} failed`);
  if (v && v.reasons.length) {
    lines.push('');
    for (const reason of v.reasons) lines.push(`- ${reason}`);
  }
  const checks = v?.checks ?? [];
  if (checks.length) {
    lines.push('');
    lines.push('| result | kind | name | expression | target | observed | window |');
    lines.push('| --- | --- | --- | --- | --- | ---: | --- |');
    for (const c of [...checks.filter((c) => !c.ok), ...checks.filter((c) => c.ok)]) {
      lines.push(`| ${c.ok ? '✅ pass' : '❌ fail'} | ${cell(c.kind)} | ${cell(c.name)} | \`${cell(c.expression)}\` | ${cell(c.target)} | ${cell(observed(c.observed))} | ${cell(c.window)} |`);
    }
  }
  const endpoints = Object.entries(record.client.endpoints);
  if (endpoints.length) {
    lines.push('');
    lines.push('| endpoint | requests | failed | p50 | p95 | p99 | max |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const [name, e] of endpoints) lines.push(`| ${cell(name)} | ${e.count} | ${e.failed} | ${ms(e.p50)} | ${ms(e.p95)} | ${ms(e.p99)} | ${ms(e.max)} |`);
  }
  if (record.generator?.warning) {
    lines.push('');
    lines.push(`> ⚠️ ${record.generator.warning}`);
  }
  lines.push('');
  return lines.join('\n');
}

export function renderMarkdownComparison(comparison: Comparison): string {
  const { before, after } = comparison;
  const state = (s: Comparison['before']) => (s.ok === null ? 'no verdict' : s.ok ? 'passed' : `failed (exit ${s.exitCode})`);
  const lines: string[] = [];
  lines.push(`### rushhour comparison: ${comparison.regressions === 0 ? '✅ no regressions' : `❌ ${comparison.regressions} regression${comparison.regressions === 1 ? '' : 's'}`}`);
  lines.push('');
  lines.push(`Before: \`${before.id}\` (${before.name}, ${state(before)}) · after: \`${after.id}\` (${after.name}, ${state(after)}) · ${comparison.improvements} improvement(s)`);
  for (const caveat of comparison.caveats) lines.push(`\n> ⚠️ ${caveat}`);
  lines.push('');
  lines.push('| | what | before | after | delta |');
  lines.push('| --- | --- | ---: | ---: | ---: |');
  const mark = { worse: '❌ worse', better: '✅ better', same: '', new: 'new', gone: 'gone' } as const;
  const order = { worse: 0, better: 1, new: 2, gone: 3, same: 4 } as const;
  for (const r of [...comparison.rows].sort((a, b) => order[a.verdict] - order[b.verdict])) {
    const b = r.section === 'check' ? `${r.before_ok === null || r.before_ok === undefined ? '–' : r.before_ok ? 'pass' : 'fail'} (${formatValue(r.before, r.unit)})` : formatValue(r.before, r.unit);
    const a = r.section === 'check' ? `${r.after_ok === null || r.after_ok === undefined ? '–' : r.after_ok ? 'pass' : 'fail'} (${formatValue(r.after, r.unit)})` : formatValue(r.after, r.unit);
    lines.push(`| ${mark[r.verdict]} | ${cell(r.name)}${r.note ? ` (${cell(r.note)})` : ''} | ${cell(b)} | ${cell(a)} | ${cell(formatDelta(r))} |`);
  }
  lines.push('');
  return lines.join('\n');
}

/** The night's job summary: one row per part, the failed checks or the error that stopped it. */
export function renderNightlySummary(night: { startedAt: string; scale: number; provider: string; exitCode: number }, parts: readonly NightlyPartResult[]): string {
  const passed = parts.filter((p) => p.exitCode === 0).length;
  const word = night.exitCode === 0 ? '✅ **PASSED**' : '❌ **FAILED**';
  const flaky = parts.filter((p) => p.flaky).length;
  const lines = [`### rushhour nightly: ${word} (exit ${night.exitCode})`, '', `${night.startedAt} · ${night.provider} · scale ${night.scale} · ${passed} of ${parts.length} parts passed${flaky ? ` · ⚠️ ${flaky} flaky (passed only their second run)` : ''}`, ''];
  lines.push('| result | kind | part | exit | duration | run | what failed |');
  lines.push('| --- | --- | --- | ---: | ---: | --- | --- |');
  for (const part of parts) {
    const result = part.exitCode === null ? '➖ not run' : part.flaky ? (part.exitCode === 0 ? '⚠️ flaky' : '❌ flaky') : part.exitCode === 0 ? '✅ pass' : '❌ fail';
    const failed = [part.record?.verdict?.reasons.join('; ') ?? part.error ?? '', part.setAside ? `${part.flaky ? 'passed its second run' : 'failed twice'}: the first (\`${part.setAside.runId}\`, in the index) ended with ${part.setAside.reason}` : ''].filter(Boolean).join('; ');
    lines.push(`| ${result} | ${cell(part.kind)} | ${cell(part.name)} | ${part.exitCode ?? '–'} | ${(part.durationMs / 1_000).toFixed(0)} s | ${part.runId ? `\`${part.runId}\`` : '–'} | ${cell(failed)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
