// What rushhour asks of autocannon: no coordinated-omission correction (its own is wrong, see
// the reference, and it runs only when a rate is set), connections and duration from the plan, the target's path prefix
// kept, JSON bodies encoded, and each request able to tag its answer with its endpoint.
import { describe, expect, test } from 'vitest';
import { autocannonOptions } from '../harness/load/autocannon-driver.ts';
import { planExecutor, type Plan } from '../harness/load/executors.ts';

const plan = planExecutor({ type: 'constant-vus', vus: 20, duration: '30s' }, 0.5, 'test') as Extract<Plan, { model: 'closed' }>;

describe('autocannon options', () => {
  const options = autocannonOptions({
    target: 'http://127.0.0.1:8080/api/',
    plan,
    timeoutMs: 2_500,
    requests: [
      { endpoint: 'search', method: 'GET', path: '/v1/routes/search?lat=1' },
      { endpoint: 'book', method: 'POST', path: '/v1/bookings', body: { routeId: 1 }, headers: { 'idempotency-key': 'k' }, expect: [201, 409] },
    ],
  });

  test('never corrects for coordinated omission (it only does with a rate); connections, duration and timeout from the plan', () => {
    expect(options.connectionRate).toBeUndefined();
    expect(options.overallRate).toBeUndefined();
    expect(options).toMatchObject({ url: 'http://127.0.0.1:8080', connections: 10, duration: 15, timeout: 3, pipelining: 1 });
  });

  test('requests keep the target path prefix and encode JSON bodies', () => {
    expect(options.requests![0]).toMatchObject({ method: 'GET', path: '/api/v1/routes/search?lat=1' });
    expect(options.requests![1]).toMatchObject({ method: 'POST', path: '/api/v1/bookings', body: '{"routeId":1}', headers: { 'content-type': 'application/json', 'idempotency-key': 'k' } });
  });

  test("each request's onResponse tags the connection's context with its endpoint and expected statuses", () => {
    const context: Record<string, unknown> = {};
    const onResponse = options.requests![1]!.onResponse as (status: number, body: string, context: object) => void;
    onResponse(201, '{}', context);
    expect(context).toEqual({ endpoint: 'book', expect: [201, 409], method: 'POST' });
  });
});
