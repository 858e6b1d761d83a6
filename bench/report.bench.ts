// The HTML report's budgets for a one-hour run: file size (< 2 MB) and time to render in
// Chromium (< 1 s, from navigation start to every chart drawn), beside a small run's report as
// the peer measured in the same run. The one-hour record is built from a real smoke record
// (test/fixtures/records) stretched to 3,600 s: four endpoints and six server series per second,
// sixty stages, three fault windows, canary marks.
// Usage: npm run bench:report [-- --runs 5]
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { RunRecord } from '../harness/index.ts';
import { renderRunReport } from '../reports/html/run-report.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
const runs = Number(values.runs);
const seconds = 3_600;

const base: RunRecord = JSON.parse(readFileSync('test/fixtures/records/smoke-containers-passed.json', 'utf8'));

function hourLong(): RunRecord {
  const record = structuredClone(base);
  record.durationMs = seconds * 1_000;
  const endpoints = Object.keys(record.client.endpoints);
  // A daily wave with noise: what a soak's series look like.
  const wave = (t: number, scale: number) => scale * (1 + 0.3 * Math.sin(t / 300) + 0.1 * Math.random());
  record.client.series = [];
  record.client.overall = [];
  for (let t = 0; t < seconds; t++) {
    for (const endpoint of endpoints) {
      const p50 = wave(t, 12);
      record.client.series.push({ t, endpoint, count: Math.round(wave(t, 40)), errors: Math.random() < 0.02 ? 1 : 0, p50, p90: p50 * 1.8, p95: p50 * 2.4, p99: p50 * 4, max: p50 * 9 });
    }
    record.client.overall.push({ t, endpoint: 'all', count: Math.round(wave(t, 160)), errors: Math.random() < 0.05 ? 1 : 0, p50: wave(t, 12), p90: 20, p95: 28, p99: 48, max: 110 });
  }
  record.server = record.server.map((series) => ({ ...series, points: Array.from({ length: seconds }, (_, t) => ({ t, value: wave(t, series.unit === 's' ? 0.03 : series.unit === 'ratio' ? 0.5 : 20) })) }));
  record.generator = { ...record.generator!, cpu: Array.from({ length: seconds }, (_, t) => ({ t, cores: wave(t, 0.2) })) };
  for (const e of Object.values(record.client.endpoints)) e.distribution = [0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99].map((p) => ({ p, ms: 5 + p / 4 + (p > 99 ? 200 : 0) }));
  record.timeline = Array.from({ length: 60 }, (_, i) => ({ t: i * 60, kind: 'stage' as const, label: `stage ${i + 1}: 160 iterations/s for 60s` }));
  for (const [from, label] of [[600, 'redis: crash'], [1_800, 'replica: lag 30 s'], [2_700, 'pool: exhausted']] as const) {
    record.timeline.push({ t: from, kind: 'fault-injected', label }, { t: from + 120, kind: 'fault-reverted', label });
  }
  record.timeline.push({ t: 3_000, kind: 'canary-weight', label: 'weight 25 %' }, { t: 3_300, kind: 'decision', label: 'promote' });
  return record;
}

const chromiumPath = ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find((file) => existsSync(file));
if (!chromiumPath) {
  console.log('chromium is not installed (Debian package chromium): only sizes are measured');
}
const dir = mkdtempSync(path.join(os.tmpdir(), 'rushhour-bench-report-'));
try {
  const started = performance.now();
  const bigHtml = renderRunReport(hourLong());
  const renderMs = performance.now() - started;
  const smallHtml = renderRunReport(base);
  const big = path.join(dir, 'hour.html');
  const small = path.join(dir, 'small.html');
  writeFileSync(big, bigHtml);
  writeFileSync(small, smallHtml);
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(2);
  console.log(`report size: one-hour run ${mb(Buffer.byteLength(bigHtml))} MB (budget 2 MB, ratio ${(Buffer.byteLength(bigHtml) / (2 * 1024 * 1024)).toFixed(2)}); a ${((base.durationMs ?? 0) / 1_000).toFixed(0)} s smoke run ${mb(Buffer.byteLength(smallHtml))} MB; rendering the HTML in Node took ${renderMs.toFixed(0)} ms`);
  if (chromiumPath) {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'] });
    const measure = async (file: string): Promise<number[]> => {
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        await page.goto(pathToFileURL(file).href);
        await page.waitForFunction(() => (globalThis as any).__report?.ready === true);
        // From navigation start to the last chart drawn (`ready` is set after the last one).
        times.push(await page.evaluate(() => (globalThis as any).__report.readyAt as number));
        await page.close();
      }
      return times.sort((a, b) => a - b);
    };
    const hour = await measure(big);
    const peer = await measure(small);
    await browser.close();
    const median = (xs: number[]) => xs[Math.floor(xs.length / 2)]!;
    console.log(`render in Chromium, navigation to every chart drawn, median of ${runs}: one-hour run ${median(hour).toFixed(0)} ms (budget 1,000 ms, ratio ${(median(hour) / 1_000).toFixed(2)}; min ${hour[0]!.toFixed(0)}, max ${hour.at(-1)!.toFixed(0)}) · smoke run ${median(peer).toFixed(0)} ms · hour / smoke ${(median(hour) / median(peer)).toFixed(2)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
