import { parseDuration } from '../duration.ts';
import { RushhourError } from '../errors.ts';

// k6's threshold grammar (metrics/thresholds_parser.go), parsed once before a run starts so a
// typo fails the run at exit 2 with the string and the position, never half way through.
//   selector:   name | name{tag:value, tag:value}
//   expression: <aggregation> <operator> <number>

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend';

/** The metrics a threshold may name, with k6's types. Trend values are in milliseconds. */
export const METRIC_TYPES = {
  http_req_duration: 'trend',
  http_req_waiting: 'trend',
  iteration_duration: 'trend',
  http_req_failed: 'rate',
  checks: 'rate',
  http_reqs: 'counter',
  iterations: 'counter',
  dropped_iterations: 'counter',
  data_received: 'counter',
  data_sent: 'counter',
  vus: 'gauge',
  vus_max: 'gauge',
} as const satisfies Record<string, MetricType>;
export type MetricName = keyof typeof METRIC_TYPES;

const AGGREGATIONS: Record<MetricType, readonly string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p(N)'],
};

/** k6 scans for operators in this order and splits at the first one found. */
const OPERATORS = ['<=', '<', '>=', '>', '===', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export type Aggregation = { kind: 'count' | 'rate' | 'value' | 'avg' | 'min' | 'max' | 'med' } | { kind: 'percentile'; p: number };

export interface Selector {
  metric: MetricName;
  type: MetricType;
  /** Tag filter of a submetric; empty for the whole metric. */
  tags: Readonly<Record<string, string>>;
  /** Canonical text: `name` or `name{a:1,b:2}` with tags sorted. */
  key: string;
}

export interface Threshold {
  selector: Selector;
  /** The expression as written, e.g. `p(95)<200`. */
  source: string;
  aggregation: Aggregation;
  /** Canonical stat name: `p(99.9)`, `avg`, `rate`, ... */
  stat: string;
  operator: Operator;
  target: number;
  abortOnFail: boolean;
  delayAbortEvalMs: number;
}

export type ThresholdInput = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

function invalid(where: string, text: string, position: number, problem: string): RushhourError {
  return new RushhourError('RUSHHOUR_ERR_THRESHOLD_INVALID', `${where}: "${text}" at position ${position + 1}: ${problem}`, {
    details: [`${text}`, `${' '.repeat(position)}^`],
  });
}

/** `http_req_duration{endpoint:search, status:200}` → the metric and its tag filter. */
export function parseSelector(text: string, where: string): Selector {
  const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\{(.*)\})?\s*$/s.exec(text);
  if (!match) {
    const brace = text.indexOf('{');
    const position = brace >= 0 && !text.trimEnd().endsWith('}') ? text.length : Math.max(0, text.search(/[^A-Za-z0-9_\s]/));
    throw invalid(where, text, position, 'expected a metric name, optionally followed by {tag:value,...}');
  }
  const metric = match[1]!;
  if (!(metric in METRIC_TYPES)) throw invalid(where, text, text.indexOf(metric), `unknown metric "${metric}" (known: ${Object.keys(METRIC_TYPES).join(', ')})`);
  const tags: Record<string, string> = {};
  if (match[2] !== undefined) {
    const body = match[2];
    const bodyStart = text.indexOf('{') + 1;
    let offset = 0;
    for (const part of body.split(',')) {
      const colon = part.indexOf(':');
      const position = bodyStart + offset + Math.max(0, part.length - part.trimStart().length);
      if (colon < 0) throw invalid(where, text, position, `expected tag:value, got "${part.trim()}"`);
      const key = part.slice(0, colon).trim();
      let value = part.slice(colon + 1).trim();
      if (/^".*"$|^'.*'$/.test(value)) value = value.slice(1, -1);
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw invalid(where, text, position, `"${key}" is not a tag name`);
      if (value === '') throw invalid(where, text, bodyStart + offset + colon + 1, `tag "${key}" has no value`);
      tags[key] = value;
      offset += part.length + 1;
    }
  }
  const name = metric as MetricName;
  const sorted = Object.keys(tags).sort();
  const key = sorted.length ? `${name}{${sorted.map((k) => `${k}:${tags[k]}`).join(',')}}` : name;
  return { metric: name, type: METRIC_TYPES[name], tags, key };
}

function parseAggregation(text: string, type: MetricType, where: string, source: string, start: number): { aggregation: Aggregation; stat: string } {
  const percentile = /^p\(\s*(\d+(?:\.\d+)?)\s*\)$/.exec(text);
  if (percentile) {
    if (type !== 'trend') throw invalid(where, source, start, `p(N) applies to trend metrics only; a ${type} takes ${AGGREGATIONS[type].join(' or ')}`);
    const p = Number(percentile[1]);
    if (!(p >= 0 && p <= 100)) throw invalid(where, source, start, `percentile ${percentile[1]} is outside 0..100`);
    // k6 stores p(%g): p(99.9) and p(99.90) are the same stat.
    return { aggregation: { kind: 'percentile', p }, stat: `p(${p})` };
  }
  const kinds = ['count', 'rate', 'value', 'avg', 'min', 'max', 'med'] as const;
  const kind = kinds.find((k) => k === text);
  if (!kind) throw invalid(where, source, start, `"${text}" is not an aggregation (a ${type} takes ${AGGREGATIONS[type].join(', ')})`);
  if (!AGGREGATIONS[type].includes(kind)) throw invalid(where, source, start, `${kind} does not apply to a ${type} metric (it takes ${AGGREGATIONS[type].join(', ')})`);
  return { aggregation: { kind }, stat: kind };
}

/** `p(95) < 200` → its parts. `where` names the selector, e.g. `scenarios/ramp.ts: thresholds["http_req_duration"][0]`. */
export function parseExpression(source: string, selector: Selector, where: string): Omit<Threshold, 'abortOnFail' | 'delayAbortEvalMs'> {
  const operator = OPERATORS.find((op) => source.includes(op));
  if (!operator) throw invalid(where, source, 0, `no comparison operator (use one of ${OPERATORS.join(' ')})`);
  const at = source.indexOf(operator);
  const left = source.slice(0, at);
  const right = source.slice(at + operator.length);
  const leftStart = left.length - left.trimStart().length;
  if (left.trim() === '') throw invalid(where, source, at, 'missing aggregation before the operator');
  const { aggregation, stat } = parseAggregation(left.trim(), selector.type, where, source, leftStart);
  const rightStart = at + operator.length + (right.length - right.trimStart().length);
  if (!/^\d+(\.\d+)?$/.test(right.trim())) throw invalid(where, source, rightStart, right.trim() === '' ? 'missing number after the operator' : `"${right.trim()}" is not a number`);
  return { selector, source, aggregation, stat, operator, target: Number(right.trim()) };
}

/** A whole `thresholds` map, every entry parsed; the first invalid one throws. */
export function parseThresholds(map: Readonly<Record<string, readonly ThresholdInput[]>>, where: string): Threshold[] {
  const parsed: Threshold[] = [];
  for (const [selectorText, items] of Object.entries(map)) {
    const selector = parseSelector(selectorText, `${where}: thresholds`);
    items.forEach((item, i) => {
      const itemWhere = `${where}: thresholds["${selectorText}"][${i}]`;
      const expression = typeof item === 'string' ? item : item.threshold;
      if (typeof expression !== 'string') throw new RushhourError('RUSHHOUR_ERR_THRESHOLD_INVALID', `${itemWhere}: expected a string or {threshold, abortOnFail?, delayAbortEval?}`);
      const base = parseExpression(expression, selector, itemWhere);
      const options: { abortOnFail?: boolean; delayAbortEval?: string } = typeof item === 'string' ? {} : item;
      parsed.push({ ...base, abortOnFail: options.abortOnFail ?? false, delayAbortEvalMs: options.delayAbortEval ? parseDuration(options.delayAbortEval, `${itemWhere}.delayAbortEval`) : 0 });
    });
  }
  return parsed;
}

/** The comparison: true when the threshold holds. */
export function holds(operator: Operator, observed: number, target: number): boolean {
  switch (operator) {
    case '<':
      return observed < target;
    case '<=':
      return observed <= target;
    case '>':
      return observed > target;
    case '>=':
      return observed >= target;
    case '==':
    case '===':
      return observed === target;
    case '!=':
      return observed !== target;
  }
}
