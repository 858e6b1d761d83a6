import { describe, expect, test } from 'vitest';
import { parseDuration } from '../harness/duration.ts';
import { RushhourError } from '../harness/errors.ts';
import { holds, parseSelector, parseThresholds, type Threshold } from '../harness/verdict/thresholds.ts';

const one = (selector: string, expression: string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }): Threshold => parseThresholds({ [selector]: [expression] }, 'test')[0]!;

function failure(fn: () => unknown): RushhourError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RushhourError);
    return error as RushhourError;
  }
  throw new Error('expected an error');
}

describe('k6 threshold grammar: valid expressions', () => {
  test.each([
    ['http_req_duration', 'p(95)<200', 'p(95)', '<', 200],
    ['http_req_duration', 'p(95) < 200', 'p(95)', '<', 200],
    ['http_req_duration', '  p(99.9)<=1500.5 ', 'p(99.9)', '<=', 1500.5],
    ['http_req_duration', 'p(99.90)<1', 'p(99.9)', '<', 1],
    ['http_req_duration', 'p(0)>=0', 'p(0)', '>=', 0],
    ['http_req_duration', 'p(100)<5000', 'p(100)', '<', 5000],
    ['http_req_duration', 'avg<100', 'avg', '<', 100],
    ['http_req_duration', 'min>0', 'min', '>', 0],
    ['http_req_duration', 'max<3000', 'max', '<', 3000],
    ['http_req_duration', 'med<50', 'med', '<', 50],
    ['http_req_failed', 'rate<0.01', 'rate', '<', 0.01],
    ['checks', 'rate>0.99', 'rate', '>', 0.99],
    ['http_reqs', 'count>100', 'count', '>', 100],
    ['http_reqs', 'rate>=50', 'rate', '>=', 50],
    ['iterations', 'count==0', 'count', '==', 0],
    ['dropped_iterations', 'count===0', 'count', '===', 0],
    ['dropped_iterations', 'count!=1', 'count', '!=', 1],
    ['vus', 'value>1', 'value', '>', 1],
  ] as const)('%s: %s', (selector, expression, stat, operator, target) => {
    const threshold = one(selector, expression);
    expect(threshold.stat).toBe(stat);
    expect(threshold.operator).toBe(operator);
    expect(threshold.target).toBe(target);
    expect(threshold.source).toBe(expression);
    expect(threshold.abortOnFail).toBe(false);
  });

  test('submetrics: tags are parsed, trimmed, unquoted and keyed canonically', () => {
    const a = parseSelector('http_req_duration{endpoint:search}', 'test');
    expect(a).toMatchObject({ metric: 'http_req_duration', type: 'trend', tags: { endpoint: 'search' }, key: 'http_req_duration{endpoint:search}' });
    const b = parseSelector('http_req_duration{ status : 200 , endpoint:"search" }', 'test');
    expect(b.tags).toEqual({ status: '200', endpoint: 'search' });
    expect(b.key).toBe('http_req_duration{endpoint:search,status:200}');
    expect(parseSelector('checks{scenario:login}', 'test').type).toBe('rate');
  });

  test('object form: abortOnFail and delayAbortEval', () => {
    const threshold = one('http_req_failed', { threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: '10s' });
    expect(threshold.abortOnFail).toBe(true);
    expect(threshold.delayAbortEvalMs).toBe(10_000);
    expect(one('http_req_failed', { threshold: 'rate<0.1' }).abortOnFail).toBe(false);
  });

  test('a map with several selectors and items keeps them all, in order', () => {
    const all = parseThresholds({ http_req_duration: ['p(95)<200', 'p(99)<500'], 'http_req_duration{endpoint:book}': ['max<1000'], http_req_failed: ['rate<0.01'] }, 'test');
    expect(all.map((t) => `${t.selector.key} ${t.source}`)).toEqual([
      'http_req_duration p(95)<200',
      'http_req_duration p(99)<500',
      'http_req_duration{endpoint:book} max<1000',
      'http_req_failed rate<0.01',
    ]);
  });
});

describe('k6 threshold grammar: invalid input names the string and the position', () => {
  test.each([
    ['http_req_duration', 'p(95)200', /"p\(95\)200" at position 1: no comparison operator/],
    ['http_req_duration', '<200', /at position 1: missing aggregation/],
    ['http_req_duration', 'p(95)<', /at position 7: missing number/],
    ['http_req_duration', 'p(95)<abc', /at position 7: "abc" is not a number/],
    ['http_req_duration', 'p(95)<-1', /at position 7: "-1" is not a number/],
    ['http_req_duration', 'p(101)<1', /at position 1: percentile 101 is outside 0\.\.100/],
    ['http_req_duration', 'p95<1', /"p95" is not an aggregation/],
    ['http_req_duration', 'rate<1', /rate does not apply to a trend metric/],
    ['http_req_duration', 'count<1', /count does not apply to a trend metric/],
    ['http_req_failed', 'p(95)<1', /p\(N\) applies to trend metrics only; a rate takes rate/],
    ['http_req_failed', 'count<1', /count does not apply to a rate metric/],
    ['http_reqs', 'avg<1', /avg does not apply to a counter metric/],
    ['http_reqs', 'value<1', /value does not apply to a counter metric/],
    ['vus', 'rate<1', /rate does not apply to a gauge metric/],
    ['http_req_duration', '  avg  <<  1', /at position 9: "<  1" is not a number/],
  ] as const)('%s: %j', (selector, expression, message) => {
    const error = failure(() => one(selector, expression));
    expect(error.code).toBe('RUSHHOUR_ERR_THRESHOLD_INVALID');
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(message);
    expect(error.message).toContain(`test: thresholds["${selector}"][0]`);
  });

  test('the caret under the details points at the position', () => {
    const error = failure(() => one('http_req_duration', 'p(95) < soon'));
    expect(error.details).toEqual(['p(95) < soon', '        ^']);
  });

  test.each([
    ['http_req_durations', /unknown metric "http_req_durations"/],
    ['http_req_duration{endpoint}', /at position 19: expected tag:value, got "endpoint"/],
    ['http_req_duration{endpoint:}', /tag "endpoint" has no value/],
    ['http_req_duration{endpoint:search', /expected a metric name, optionally followed by/],
    ['http req duration', /expected a metric name/],
    ['http_req_duration{9x:1}', /"9x" is not a tag name/],
  ])('selector %j', (selector, message) => {
    const error = failure(() => one(selector, 'p(95)<1'));
    expect(error.code).toBe('RUSHHOUR_ERR_THRESHOLD_INVALID');
    expect(error.message).toMatch(message);
  });

  test('a bad delayAbortEval is a config error naming the field', () => {
    const error = failure(() => one('http_req_failed', { threshold: 'rate<0.1', abortOnFail: true, delayAbortEval: 'soon' }));
    expect(error.message).toBe('test: thresholds["http_req_failed"][0].delayAbortEval: "soon" is not a duration');
  });
});

describe('comparisons and durations', () => {
  test.each([
    ['<', 1, 2, true],
    ['<', 2, 2, false],
    ['<=', 2, 2, true],
    ['>', 3, 2, true],
    ['>', 2, 2, false],
    ['>=', 2, 2, true],
    ['==', 2, 2, true],
    ['===', 2, 3, false],
    ['!=', 2, 3, true],
    ['!=', 2, 2, false],
  ] as const)('%d %s %d is %s', (operator, observed, target, expected) => {
    expect(holds(operator, observed, target)).toBe(expected);
  });

  test.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1m30s', 90_000],
    ['1.5h', 5_400_000],
    ['2', 2_000],
    [3, 3_000],
  ] as const)('%j is %d ms', (text, ms) => {
    expect(parseDuration(text, 'x')).toBe(ms);
  });

  test.each(['', '10 s', '1m30', 's', '-1s', 'soon'])('%j is not a duration', (text) => {
    expect(() => parseDuration(text, 'x.duration')).toThrow(/x\.duration: ".*" is not a duration/);
  });
});
