import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, test } from 'vitest';
import { stack, withPrimary } from './support/api.ts';

test('migrations are recorded, and re-running them applies nothing and changes nothing', async () => {
  const before = await withPrimary(async (c) => (await c.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows);
  expect(before.map((r) => r.version)).toContain('0001_schema');
  const result = spawnSync(process.execPath, [path.resolve('system-under-test/dist/migrate.mjs')], { env: { ...process.env, DATABASE_URL: stack().endpoints.postgresPrimary }, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  expect(JSON.parse(result.stdout.trim())).toMatchObject({ applied: [] });
  const after = await withPrimary(async (c) => (await c.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows);
  expect(after).toEqual(before);
});

test('the replica streams what the primary writes', async () => {
  const replica = stack().endpoints.postgresReplica;
  expect(await withPrimary(async (c) => (await c.query('SELECT pg_is_in_recovery() AS r')).rows[0].r, replica)).toBe(true);
  const counts = await withPrimary(async (c) => (await c.query('SELECT count(*)::int AS n FROM route_stops')).rows[0].n, replica);
  expect(counts).toBe(stack().dataset.counts.stops);
  await expect(withPrimary((c) => c.query('DELETE FROM riders WHERE id = 1'), replica)).rejects.toThrow(/read-only/);
});
