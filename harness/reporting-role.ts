import pg from 'pg';

/** The role reporting jobs log in as; its statement_timeout is the database's own bound on them. */
export const REPORTING_ROLE = 'reporting';

/**
 * Creates the `reporting` role on the primary (read-only on the SUT's tables) with its
 * statement_timeout, as a team's database provisioning would: the bound lives in the database,
 * so a report cannot talk its way past it. The replica gets the role by replication. 0 leaves
 * the role without a timeout (a deliberately weakened setting).
 */
export async function provisionReportingRole(primaryUrl: string, statementTimeoutMs: number): Promise<void> {
  const client = new pg.Client({ connectionString: primaryUrl, connectionTimeoutMillis: 5_000, application_name: 'rushhour-provision' });
  await client.connect();
  try {
    await client.query(`DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${REPORTING_ROLE}') THEN CREATE ROLE ${REPORTING_ROLE} LOGIN; END IF; END $$`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${REPORTING_ROLE}`);
    await client.query(statementTimeoutMs > 0 ? `ALTER ROLE ${REPORTING_ROLE} SET statement_timeout = ${Math.round(statementTimeoutMs)}` : `ALTER ROLE ${REPORTING_ROLE} RESET statement_timeout`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The same server and database, logged in as another role (trust authentication: no password). */
export function asRole(url: string, role: string): string {
  const parsed = new URL(url);
  parsed.username = role;
  parsed.password = '';
  return parsed.toString();
}
