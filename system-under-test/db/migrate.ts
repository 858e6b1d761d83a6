// Applies db/migrations/*.sql in name order, each once, each in its own transaction, recorded
// in schema_migrations. Safe to re-run and to run from several processes at once (an
// advisory lock serialises them). Usage: DATABASE_URL=postgres://... node --import tsx db/migrate.ts
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const MIGRATION_LOCK = 7_431_001;
// Beside this file in the sources; ../db/migrations from the bundle in dist/.
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = process.env.MIGRATIONS_DIR ?? [path.join(here, 'migrations'), path.join(here, '..', 'db', 'migrations')].find((candidate) => existsSync(candidate))!;

export async function migrate(connectionString: string): Promise<string[]> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
    const done = new Set((await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map((row) => row.version));
    for (const file of readdirSync(dir).filter((name) => name.endsWith('.sql')).sort()) {
      const version = file.replace(/\.sql$/, '');
      if (done.has(version)) continue;
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(path.join(dir, file), 'utf8'));
        await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [version]);
        await client.query('COMMIT');
        applied.push(version);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client.end();
  }
  return applied;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('migrate: DATABASE_URL is not set');
    process.exit(2);
  }
  migrate(url).then(
    (applied) => console.log(JSON.stringify({ msg: 'migrations applied', applied })),
    (error: Error) => {
      console.error(JSON.stringify({ msg: 'migration failed', error: error.message }));
      process.exit(1);
    },
  );
}
