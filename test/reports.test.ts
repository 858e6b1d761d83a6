// The report renderers on run records recorded from real runs on this machine
// (test/fixtures/records: a passing smoke run on the containers provider, a failing spike run on
// the local one), without a browser: self-containment, escaping, the Markdown summary, the
// comparison's rules, runs/index.html, and JUnit validated against the JUnit XSD by xmllint.
// The browser half is test/report-browser.test.ts.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { RunRecord } from '../harness/index.ts';
import { compareRuns } from '../reports/compare.ts';
import { buildReportModel } from '../reports/html/chart-model.ts';
import { renderRunReport } from '../reports/html/run-report.ts';
import { renderJUnit, renderNightlyJUnit, type NightlyPartResult } from '../reports/junit.ts';
import { renderMarkdownComparison, renderMarkdownSummary, renderNightlySummary } from '../reports/markdown.ts';
import { writeRunsIndex } from '../reports/write.ts';
import { scratchDir } from './support/cli.ts';

const load = (name: string): RunRecord => JSON.parse(readFileSync(path.join('test/fixtures/records', `${name}.json`), 'utf8'));
const smoke = () => load('smoke-containers-passed');
const spike = () => load('spike-local-failed');

describe('HTML report', () => {
  test('self-contained: no URL of any resource, a CSP that forbids every request, uPlot inlined', () => {
    const html = renderRunReport(smoke());
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="default-src 'none';`);
    // No src=, no stylesheet link, no url() that is not a data: URI.
    expect(html).not.toMatch(/\ssrc\s*=/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/url\((?!["']?data:)/i);
    expect(html).toContain('uPlot');
    expect(Buffer.byteLength(html)).toBeLessThan(2 * 1024 * 1024);
  });

  test('the verdict, every check and every chart of the record are in the page', () => {
    const record = spike();
    const html = renderRunReport(record);
    expect(html).toContain('✗ FAILED');
    expect(html).toContain('Exit code <strong>99</strong>');
    for (const check of record.verdict!.checks) expect(html).toContain(`data-expression="${check.expression.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}"`);
    for (const chart of buildReportModel(record).charts) expect(html).toContain(`id="chart-${chart.id}"`);
    expect(renderRunReport(smoke())).toContain('✓ PASSED');
  });

  test('charts: one per endpoint and per server series with points; the spike’s stages on the timeline', () => {
    const record = spike();
    const model = buildReportModel(record);
    const ids = model.charts.map((c) => c.id);
    expect(ids).toEqual(expect.arrayContaining(['throughput', 'error-rate', 'latency-book', 'latency-search', 'server-server-p95-latency', 'server-cache-hit-ratio', 'generator-cpu']));
    // Every chart's columns line up with its x axis.
    for (const chart of model.charts) for (const series of chart.series) expect(series.values.length).toBe(chart.x.length);
    expect(model.timeline.stages.length).toBe(record.timeline.filter((e) => e.kind === 'stage').length);
    // Server latency is charted in ms, ratios in %.
    const p95 = model.charts.find((c) => c.id === 'server-server-p95-latency')!;
    expect(p95.unit).toBe('ms');
    const raw = record.server.find((s) => s.name === 'server p95 latency')!.points[0]!;
    expect(p95.series[0]!.values[Math.round(raw.t)]).toBeCloseTo(raw.value * 1_000, 1);
  });

  test('an experiment that sampled the primary charts its oldest statement in seconds, an unsampled second a gap', () => {
    const record = smoke();
    expect(buildReportModel(record).charts.map((c) => c.id)).not.toContain('database-statements');
    record.analysis.database = { target: 'postgres-primary', seconds: [{ t: 0, longestMs: 0, active: 0 }, { t: 1, longestMs: 1_500, active: 2 }, { t: 3, longestMs: 3_250, active: 3 }] };
    const chart = buildReportModel(record).charts.find((c) => c.id === 'database-statements')!;
    expect(chart).toMatchObject({ title: 'Database: oldest running statement', unit: 's', x: [0, 1, 2, 3] });
    expect(chart.series[0]!.values).toEqual([0, 1.5, null, 3.25]);
    expect(renderRunReport(record)).toContain('id="chart-database-statements"');
  });

  test('fault windows pair injections with their reverts; one never reverted runs to the end', () => {
    const record = smoke();
    record.timeline.push({ t: 3, kind: 'fault-injected', label: 'redis: crash' }, { t: 5, kind: 'fault-injected', label: 'replica: lag' }, { t: 7, kind: 'fault-reverted', label: 'redis: crash' }, { t: 8, kind: 'decision', label: 'promote' });
    const { timeline } = buildReportModel(record);
    expect(timeline.faults).toEqual([
      { from: 3, to: 7, label: 'redis: crash', reverted: true },
      { from: 5, to: timeline.end, label: 'replica: lag', reverted: false },
    ]);
    expect(timeline.marks).toEqual([{ t: 8, kind: 'decision', label: 'promote' }]);
  });

  test('text from the record is escaped everywhere, in the page and in the embedded model', () => {
    const record = smoke();
    record.name = 'evil<script>alert(1)</script>';
    record.description = '"quoted" & <b>bold</b>';
    record.timeline.push({ t: 1, kind: 'note', label: '</script><script>alert(2)</script>' });
    const html = renderRunReport(record);
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('evil&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('\\u003c/script>\\u003cscript>alert(2)');
  });

  test('a run that never got a verdict says so, and still renders', () => {
    const record = smoke();
    record.verdict = null;
    record.status = 'interrupted';
    const html = renderRunReport(record);
    expect(html).toContain('⚠ NO VERDICT');
    expect(html).toContain('<strong>interrupted</strong>');
  });
});

describe('Markdown summary', () => {
  test('the verdict first, failed checks before passing ones, pipes escaped', () => {
    const record = spike();
    record.verdict!.checks.push({ kind: 'threshold', name: 'a|b', expression: 'p(95)<1', target: '< 1', observed: 2, window: 'run', ok: true });
    const md = renderMarkdownSummary(record);
    expect(md.split('\n')[0]).toBe(`### rushhour load: spike: ❌ **FAILED** (exit 99)`);
    const rows = md.split('\n').filter((line) => line.startsWith('| ✅') || line.startsWith('| ❌'));
    const firstPass = rows.findIndex((line) => line.startsWith('| ✅'));
    expect(rows.slice(0, firstPass).every((line) => line.startsWith('| ❌'))).toBe(true);
    expect(rows.slice(firstPass).every((line) => line.startsWith('| ✅'))).toBe(true);
    expect(md).toContain('| a\\|b |');
  });
});

describe('comparison', () => {
  test('identical runs: no regression', () => {
    const comparison = compareRuns(smoke(), smoke());
    expect(comparison.regressions).toBe(0);
    expect(comparison.improvements).toBe(0);
    expect(comparison.caveats).toEqual([]);
  });

  test('a planted regression: a check that now fails, a slower p95, fewer requests/s; small noise is not one', () => {
    const before = smoke();
    const after = smoke();
    after.id = 'after';
    after.client.endpoints.search!.p95 = before.client.endpoints.search!.p95 * 3 + 50;
    // +8 % and a few ms on another endpoint: under the margins.
    after.client.endpoints.book!.p95 = before.client.endpoints.book!.p95 * 1.08;
    after.verdict!.checks[0]!.ok = false;
    after.client.requests = Math.round(before.client.requests * 0.7);
    const comparison = compareRuns(before, after);
    const worse = comparison.rows.filter((r) => r.verdict === 'worse').map((r) => r.name);
    expect(worse).toEqual(expect.arrayContaining(['search p95', 'requests/s', expect.stringMatching(/^threshold: /)]));
    expect(worse).not.toContain('book p95');
    expect(comparison.regressions).toBe(worse.length);
    const md = renderMarkdownComparison(comparison);
    expect(md).toMatch(/^### rushhour comparison: ❌ \d+ regressions/);
    expect(md).toMatch(/\| ❌ worse \| search p95 \|/);
  });

  test('runs of different scenarios or scales are compared with a caveat', () => {
    const comparison = compareRuns(smoke(), spike());
    expect(comparison.caveats).toEqual(expect.arrayContaining(['different scenarios: smoke and spike']));
  });
});

describe('runs/index.html', () => {
  test('every run folder with its verdict, newest first; the latest link and stray folders left out', () => {
    const dir = scratchDir();
    const runs = path.join(dir, 'runs');
    const put = (record: RunRecord) => {
      mkdirSync(path.join(runs, record.id), { recursive: true });
      writeFileSync(path.join(runs, record.id, 'run.json'), JSON.stringify(record));
    };
    const older = smoke();
    older.id = 'run-older';
    older.startedAt = '2026-01-01T00:00:00.000Z';
    const newer = spike();
    newer.id = 'run-newer';
    newer.startedAt = '2026-01-02T00:00:00.000Z';
    put(older);
    put(newer);
    mkdirSync(path.join(runs, 'not-a-run'));
    writeFileSync(path.join(runs, 'not-a-run', 'run.json'), '{ broken');
    symlinkSync('run-newer', path.join(runs, 'latest'));
    const html = readFileSync(writeRunsIndex(runs), 'utf8');
    const ids = [...html.matchAll(/<code>(run-[a-z]+)<\/code>/g)].map((m) => m[1]);
    expect(ids).toEqual(['run-newer', 'run-older']);
    expect(html).toContain('✗ failed (exit 99)');
    expect(html).toContain('✓ passed');
    expect(html).not.toContain('not-a-run');
  });
});

describe('JUnit', () => {
  const xmllint = spawnSync('xmllint', ['--version']).status === 0;

  test('validates against the JUnit schema CI systems read (xmllint), passing, failing and interrupted runs', () => {
    // Installed by `npm test` (install-deps --reports) and .ci/run: missing here is a failure, not a skip.
    expect(xmllint, 'xmllint (Debian libxml2-utils) is not installed').toBe(true);
    const dir = scratchDir();
    const interrupted = smoke();
    interrupted.verdict = null;
    interrupted.status = 'interrupted';
    const file = path.join(dir, 'junit.xml');
    writeFileSync(file, renderJUnit([smoke(), spike(), interrupted]));
    const out = execFileSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-4.xsd', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
    // And a broken file is rejected by the same check: the validation can fail.
    writeFileSync(file, '<testsuites><testsuite tests="x"/></testsuites>');
    expect(spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-4.xsd', file]).status).not.toBe(0);
  });
});

describe('a night (rushhour nightly)', () => {
  const parts = (): NightlyPartResult[] => [
    { kind: 'load', name: 'smoke', exitCode: 0, status: 'finished', runId: smoke().id, durationMs: 40_000, record: smoke() },
    { kind: 'load', name: 'spike', exitCode: 99, status: 'finished', runId: spike().id, durationMs: 90_000, record: spike(), setAside: { runId: '20261124-012544-acde5a', exitCode: 99, reason: 'exit 99 while the generator was the bottleneck (event-loop lag p99 230 ms)' } },
    { kind: 'chaos', name: 'replica-lag', exitCode: 0, status: 'finished', runId: smoke().id, durationMs: 140_000, record: smoke(), flaky: true, setAside: { runId: '20261124-020000-0f0f0f', exitCode: 99, reason: 'exit 99 (failed: steady state after: all requests p95: 1130.8 against <= 1000 ms) while the machine stalled: CPU steal 41 % over 40–47 s' } },
    { kind: 'chaos', name: 'redis-failure-crash', exitCode: 3, status: 'error', runId: null, durationMs: 5_000, error: 'RUSHHOUR_ERR_ENVIRONMENT: postgres did not start' },
    { kind: 'canary', name: 'matching-v2', exitCode: null, status: 'not-run', runId: null, durationMs: 0, error: 'the night was interrupted before this part' },
  ];

  test('one JUnit file: each run as its suite, an error for a part that could not run, a skip for one never started; valid against the schema', () => {
    const xml = renderNightlyJUnit(parts());
    expect(xml.match(/<testsuite /g)).toHaveLength(5);
    expect(xml).toContain(`<testsuite name="load smoke"`);
    // A part run twice names the run it set aside, and why.
    expect(xml).toContain('<property name="rerun.of" value="20261124-012544-acde5a"/>');
    expect(xml).toContain('<property name="rerun.reason" value="exit 99 while the generator was the bottleneck (event-loop lag p99 230 ms)"/>');
    expect(xml).toContain('<property name="flaky" value="false"/>');
    // A part that passed only its second run says so to the CI system too.
    expect(xml).toMatch(/<property name="rerun.of" value="20261124-020000-0f0f0f"\/>\s*<property name="rerun.reason" [^>]*\/>\s*<property name="flaky" value="true"\/>/);
    expect(xml).toMatch(/<testsuite name="chaos redis-failure-crash" tests="1" failures="0" errors="1"[^>]*>\s*<testcase classname="rushhour.chaos.redis-failure-crash" name="run"[^>]*>\s*<error message="RUSHHOUR_ERR_ENVIRONMENT: postgres did not start" type="exit 3"\/>/);
    expect(xml).toMatch(/<testsuite name="canary matching-v2" tests="1" failures="0" errors="0" skipped="1"/);
    // The totals count the errored part: a gate reading only the root sees it.
    const spikeFailures = spike().verdict!.checks.filter((c) => !c.ok).length;
    expect(xml).toMatch(new RegExp(`<testsuites name="rushhour" tests="\\d+" failures="${spikeFailures}" errors="1">`));
    const file = path.join(scratchDir(), 'junit.xml');
    writeFileSync(file, xml);
    const lint = spawnSync('xmllint', ['--noout', '--schema', 'test/fixtures/junit/junit-4.xsd', file], { encoding: 'utf8' });
    expect(lint.status, lint.stderr).toBe(0);
  });

  test('the job summary has a row per part, with what failed', () => {
    const md = renderNightlySummary({ startedAt: '2026-11-24T02:17:00.000Z', scale: 0.1, provider: 'local', exitCode: 3 }, parts());
    expect(md).toContain('### rushhour nightly: ❌ **FAILED** (exit 3)');
    expect(md).toContain('2 of 5 parts passed · ⚠️ 1 flaky (passed only their second run)');
    expect(md).toContain('| ⚠️ flaky | chaos | replica-lag | 0 |');
    expect(md).toContain('passed its second run: the first (`20261124-020000-0f0f0f`, in the index) ended with exit 99 (failed: steady state after: all requests p95: 1130.8 against <= 1000 ms) while the machine stalled');
    expect(md).toContain('| ❌ fail | chaos | redis-failure-crash | 3 |');
    expect(md).toContain('RUSHHOUR_ERR_ENVIRONMENT: postgres did not start');
    expect(md).toContain('| ➖ not run | canary | matching-v2 | – |');
    expect(md).toContain('failed twice: the first (`20261124-012544-acde5a`, in the index) ended with exit 99 while the generator was the bottleneck');
    expect(md).toContain(spike().verdict!.reasons[0]!.replace(/\|/g, '\\|'));
  });

  test("the runs index lists a night's runs one level down, and the night's own index its parts without a run", () => {
    const dir = scratchDir();
    const write = (folder: string, record: RunRecord) => {
      mkdirSync(path.join(dir, folder), { recursive: true });
      writeFileSync(path.join(dir, folder, 'run.json'), JSON.stringify(record));
      writeFileSync(path.join(dir, folder, 'report.html'), '<html></html>');
    };
    write(smoke().id, smoke());
    write(`nightly-20261124-021700/${spike().id}`, spike());
    const top = readFileSync(writeRunsIndex(dir), 'utf8');
    expect(top).toContain(`href="nightly-20261124-021700/${spike().id}/report.html"`);
    expect(top).toContain('(nightly-20261124-021700)');
    expect(top).toContain(`href="${smoke().id}/report.html"`);
    const nightIndex = readFileSync(writeRunsIndex(path.join(dir, 'nightly-20261124-021700'), { title: 'rushhour nightly 20261124-021700', missing: parts().filter((p) => p.runId === null) }), 'utf8');
    expect(nightIndex).toContain('<h1>rushhour nightly 20261124-021700</h1>');
    expect(nightIndex).toContain('✗ error (exit 3)');
    expect(nightIndex).toContain('– not run');
    expect(nightIndex).toContain('1 run(s), 0 passed, 2 part(s) without a run');
  });
});
