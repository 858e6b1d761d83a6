// The k6 driver, as far as it can be tested with no k6 binary on this machine (none can be
// installed here): the options it writes for each executor, the import of k6's summary from
// files in k6's handleSummary() format (test/fixtures/k6/README.md says where they come from),
// and the driver's process plumbing through a stand-in `k6` script on PATH. That stand-in is
// the one mock: it checks the files and flags k6 would get and writes a fixture summary.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { executorSchema, planExecutor } from '../harness/load/executors.ts';
import { findK6, k6Executor, k6Options, runK6 } from '../harness/load/k6-driver.ts';
import { importK6Summary, parseK6Summary } from '../harness/load/k6-summary.ts';
import { parseThresholds } from '../harness/verdict/thresholds.ts';
import { scratchDir } from './support/cli.ts';

// Through the schema, so k6's defaults are filled as for a real scenario.
const plan = (executor: Record<string, unknown>, scale = 1) => planExecutor(executorSchema.parse(String(executor.type).endsWith('arrival-rate') ? { preAllocatedVUs: 5, ...executor } : executor), scale, 'test');
const fixture = (name: string) => readFileSync(path.join('test/fixtures/k6', name), 'utf8');

describe('k6 options from a rushhour plan', () => {
  test('each executor, with durations in ms', () => {
    expect(k6Executor(plan({ type: 'constant-vus', vus: 20, duration: '30s' }))).toEqual({ executor: 'constant-vus', vus: 20, duration: '30000ms' });
    expect(k6Executor(plan({ type: 'ramping-vus', startVUs: 0, stages: [{ duration: '10s', target: 5 }] }))).toEqual({ executor: 'ramping-vus', startVUs: 0, stages: [{ duration: '10000ms', target: 5 }], gracefulRampDown: '30000ms' });
    expect(k6Executor(plan({ type: 'constant-arrival-rate', rate: 80, duration: '1m', maxVUs: 150 }))).toEqual({ executor: 'constant-arrival-rate', rate: 80, timeUnit: '1s', duration: '60000ms', preAllocatedVUs: 5, maxVUs: 150 });
    expect(k6Executor(plan({ type: 'ramping-arrival-rate', stages: [{ duration: '2m', target: 150 }, { duration: '1m', target: 150 }] }))).toEqual({
      executor: 'ramping-arrival-rate', startRate: 0, timeUnit: '1s', preAllocatedVUs: 5, maxVUs: 5,
      stages: [{ duration: '120000ms', target: 150 }, { duration: '60000ms', target: 150 }],
    });
  });

  test('a fractional rate after --scale goes per minute (k6 takes whole iterations per timeUnit)', () => {
    expect(k6Executor(plan({ type: 'constant-arrival-rate', rate: 15, duration: '30s' }, 0.1))).toMatchObject({ rate: 90, timeUnit: '1m', duration: '3000ms' });
  });

  test('thresholds pass through as written; every percentile they use is in the summary', () => {
    const thresholds = { http_req_duration: ['p(95)<500', { threshold: 'p(99.9)<2000', abortOnFail: true, delayAbortEval: '10s' }], checks: ['rate>0.99'] };
    const options = k6Options(plan({ type: 'constant-vus', vus: 1, duration: '1s' }), thresholds);
    expect(options.thresholds).toBe(thresholds);
    expect(options.summaryTrendStats).toEqual(['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'count', 'p(99.9)']);
  });
});

describe("k6's summary imported into the run record", () => {
  test('a passing smoke: totals, per-endpoint latency from the submetrics, every threshold with its value', () => {
    const thresholds = parseThresholds({ http_req_failed: ['rate<0.01'], http_req_duration: ['p(95)<500', 'p(99)<1000'], 'http_req_duration{endpoint:search}': ['p(95)<300'], checks: ['rate>0.99'], dropped_iterations: ['count==0'] }, 'smoke');
    const run = importK6Summary(parseK6Summary(fixture('smoke-summary.json'), 'smoke-summary.json'), thresholds);
    expect(run.durationMs).toBe(6043.112);
    expect(run.client).toMatchObject({ iterations: 30, dropped: 0, requests: 116, failedRequests: 0, maxVUsUsed: 10 });
    expect(Object.keys(run.client.endpoints).sort()).toEqual(['book', 'get_booking', 'pay', 'search']);
    expect(run.client.endpoints.search).toEqual({ count: 30, failed: 0, avg: 22.4, p50: 18.7, p90: 41.2, p95: 55.06, p99: 112.3, max: 121.7 });
    expect(run.checks.map((c) => [c.name, c.expression, c.observed, c.ok])).toEqual([
      ['http_req_failed', 'rate<0.01', 0, true],
      ['http_req_duration', 'p(95)<500', 48.31, true],
      ['http_req_duration', 'p(99)<1000', 96.02, true],
      ['http_req_duration{endpoint:search}', 'p(95)<300', 55.06, true],
      ['checks', 'rate>0.99', 1, true],
      ['dropped_iterations', 'count==0', 0, true],
    ]);
  });

  test("a failed threshold keeps k6's verdict; a threshold k6 never evaluated fails", () => {
    const thresholds = parseThresholds({ http_req_failed: ['rate<0.01'], 'http_req_duration{endpoint:search}': ['p(95)<300'], 'http_req_duration{endpoint:nearby}': ['p(95)<300'] }, 'read-heavy');
    const run = importK6Summary(parseK6Summary(fixture('read-heavy-failed.json'), 'read-heavy-failed.json'), thresholds);
    expect(run.client).toMatchObject({ requests: 4801, failedRequests: 12, dropped: 2 });
    expect(run.client.endpoints.search!.failed).toBe(10);
    expect(run.checks.map((c) => [c.expression, c.observed, c.ok])).toEqual([
      ['rate<0.01', 0.003, true],
      ['p(95)<300', 341.27, false],
      ['p(95)<300', 210.9, false],
    ]);
    expect(run.checks[2]!.note).toBe('not in the k6 summary: k6 did not evaluate it');
  });

  test('a file that is not a summary: a stable code naming the file and the field', () => {
    expect(() => parseK6Summary('{"metrics": ', 'a.json')).toThrow(expect.objectContaining({ code: 'RUSHHOUR_ERR_K6_SUMMARY_INVALID', message: expect.stringMatching(/^a\.json: not JSON/) }));
    expect(() => parseK6Summary('{"root_group": {}}', 'b.json')).toThrow(expect.objectContaining({ message: 'b.json: metrics: missing (is this a k6 handleSummary() summary?)' }));
    expect(() => parseK6Summary('{"metrics": {"http_reqs": {"type": "counter"}}}', 'c.json')).toThrow(expect.objectContaining({ message: 'c.json: metrics["http_reqs"].values: missing' }));
  });
});

describe('the driver process (a stand-in k6 on PATH)', () => {
  test('passes the options, data and summary paths with -e, runs the script, and reads the summary back', async () => {
    const dir = scratchDir();
    const bin = path.join(dir, 'bin');
    const fake = path.join(bin, 'k6');
    const summary = path.resolve('test/fixtures/k6/smoke-summary.json');
    // A stand-in for k6: records its argv, checks the files exist, copies a summary where asked.
    mkdirSync(bin);
    writeFileSync(fake, `#!/usr/bin/env node
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.writeFileSync(${JSON.stringify(path.join(dir, 'argv.json'))}, JSON.stringify(args));
const env = Object.fromEntries(args.flatMap((a, i) => (args[i - 1] === '-e' ? [a.split('=')] : [])));
JSON.parse(fs.readFileSync(env.RUSHHOUR_OPTIONS, 'utf8')).scenarios.default.executor;
JSON.parse(fs.readFileSync(env.RUSHHOUR_DATA, 'utf8')).baseUrl;
fs.copyFileSync(${JSON.stringify(summary)}, env.RUSHHOUR_SUMMARY);
process.exit(99);
`);
    chmodSync(fake, 0o755);
    const path0 = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${path0}`;
    try {
      expect(findK6()).toBe(fake);
      const result = await runK6({ script: '/scripts/smoke.ts', dir, plan: plan({ type: 'constant-vus', vus: 2, duration: '1s' }), thresholds: { http_reqs: ['count>0'] }, data: { baseUrl: 'http://127.0.0.1:1' }, signal: new AbortController().signal });
      // 99 is k6's "a threshold failed": a verdict, not an error of the run.
      expect(result.exitCode).toBe(99);
      expect(result.summary.metrics.http_reqs!.values.count).toBe(116);
      const argv = JSON.parse(readFileSync(path.join(dir, 'argv.json'), 'utf8')) as string[];
      expect(argv.slice(0, 3)).toEqual(['run', '--no-color', '--quiet']);
      expect(argv.at(-1)).toBe('/scripts/smoke.ts');
      expect(argv.filter((a) => a.startsWith('RUSHHOUR_'))).toEqual([`RUSHHOUR_OPTIONS=${dir}/k6-options.json`, `RUSHHOUR_DATA=${dir}/k6-data.json`, `RUSHHOUR_SUMMARY=${dir}/k6-summary.json`]);
      expect(JSON.parse(readFileSync(path.join(dir, 'k6-options.json'), 'utf8'))).toMatchObject({ scenarios: { default: { executor: 'constant-vus', vus: 2 } }, thresholds: { http_reqs: ['count>0'] } });
    } finally {
      process.env.PATH = path0;
    }
  });

  test('no k6 on PATH: RUSHHOUR_ERR_K6_MISSING, before anything is written', async () => {
    const dir = scratchDir();
    const path0 = process.env.PATH;
    process.env.PATH = dir;
    try {
      await expect(runK6({ script: 'x.ts', dir, plan: plan({ type: 'constant-vus', vus: 1, duration: '1s' }), thresholds: {}, data: {}, signal: new AbortController().signal })).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_K6_MISSING' });
    } finally {
      process.env.PATH = path0;
    }
  });
});
