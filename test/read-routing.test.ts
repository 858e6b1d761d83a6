import { afterAll, expect, test } from 'vitest';
import { api, eventually, metricSum, stack, withPrimary } from './support/api.ts';

const nearby = () => {
  const hub = stack().dataset.cities[0]!.hubs[1]!;
  // drivers/nearby is never cached, so every call is a database read.
  return api('GET', `/v1/drivers/nearby?lat=${hub.lat}&lng=${hub.lng}&radius_m=2000&limit=5`);
};
const reads = async () => ({ primary: await metricSum('matching', 'db_reads_total', { target: 'primary' }), replica: await metricSum('matching', 'db_reads_total', { target: 'replica' }) });
/** replica_lag_seconds as each matching instance measures it (each on its own 250 ms clock). */
const lags = async () => {
  const values: number[] = [];
  for (const c of stack().components.filter((c) => c.group === 'matching')) {
    const line = (await (await fetch(`${c.url}/metrics`)).text()).split('\n').find((l) => l.startsWith('replica_lag_seconds'));
    values.push(Number(line?.split(' ').pop()));
  }
  return values;
};
const maxLag = async () => Math.max(...(await lags()));
const minLag = async () => Math.min(...(await lags()));
const onReplica = (sql: string) => withPrimary((c) => c.query(sql), stack().endpoints.postgresReplica);

afterAll(async () => {
  await onReplica('SELECT pg_wal_replay_resume()').catch(() => {});
});

test('reads go to the replica while it keeps up', async () => {
  await eventually(async () => (await maxLag()) < 1, 10_000, 'replica lag under 1 s');
  const before = await reads();
  for (let i = 0; i < 6; i++) expect((await nearby()).status).toBe(200);
  const after = await reads();
  expect(after.replica - before.replica).toBe(6);
  expect(after.primary - before.primary).toBe(0);
});

test('reads fall back to the primary while replica lag exceeds the threshold, and return after resume', async () => {
  await onReplica('SELECT pg_wal_replay_pause()');
  // Replay is paused; a write on the primary is received but not applied, so lag grows.
  await withPrimary((c) => c.query('UPDATE drivers SET updated_at = now() WHERE id = 1'));
  // Every instance must see the lag before reads are expected to move.
  await eventually(async () => (await minLag()) > 1, 15_000, 'measured lag above 1 s on every instance');

  const before = await reads();
  for (let i = 0; i < 6; i++) expect((await nearby()).status).toBe(200);
  const during = await reads();
  expect(during.primary - before.primary).toBe(6);
  expect(during.replica - before.replica).toBe(0);

  await onReplica('SELECT pg_wal_replay_resume()');
  await eventually(async () => (await maxLag()) < 1, 15_000, 'lag back under 1 s');
  for (let i = 0; i < 6; i++) expect((await nearby()).status).toBe(200);
  const after = await reads();
  expect(after.replica - during.replica).toBe(6);
  expect(after.primary - during.primary).toBe(0);
});
