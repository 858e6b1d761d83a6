import { z } from 'zod';

/** Numbers from environment variables or query strings: digits only, so '' or 'abc' never becomes 0 or NaN. */
export const numeric = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?$/, 'must be a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const flag = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

export const common = {
  SERVICE_NAME: z.string().min(1),
  INSTANCE_NAME: z.string().min(1),
  VERSION: z.string().min(1).default('dev'),
  PORT: integer(0, 65_535),
  HOST: z.string().default('127.0.0.1'),
};

export const poolEnv = {
  POOL_MAX: integer(1, 200).default(10),
  // 0: wait for a connection without limit (pg.Pool's default; a weakened setting for chaos).
  POOL_CONNECTION_TIMEOUT_MS: integer(0, 60_000).default(1_000),
  STATEMENT_TIMEOUT_MS: integer(50, 600_000).default(5_000),
  // The client gives up on an answer after this (0: never; a weakened setting for chaos).
  QUERY_TIMEOUT_MS: integer(0, 600_000).default(6_000),
  POOL_MAX_WAITING: integer(0, 10_000).default(50),
};

/** Reads the service's settings once at start; a bad variable stops it with every problem listed. */
export function readEnv<S extends z.ZodRawShape>(shape: S): Readonly<z.output<z.ZodObject<S>>> {
  const parsed = z.object(shape).safeParse(process.env);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) process.stderr.write(`config: ${issue.path.join('.')}: ${issue.message}\n`);
    process.exit(2);
  }
  return Object.freeze(parsed.data);
}

export function poolSettings(env: { POOL_MAX: number; POOL_CONNECTION_TIMEOUT_MS: number; STATEMENT_TIMEOUT_MS: number; QUERY_TIMEOUT_MS: number; POOL_MAX_WAITING: number }) {
  return { max: env.POOL_MAX, connectionTimeoutMs: env.POOL_CONNECTION_TIMEOUT_MS, statementTimeoutMs: env.STATEMENT_TIMEOUT_MS, queryTimeoutMs: env.QUERY_TIMEOUT_MS, maxWaiting: env.POOL_MAX_WAITING };
}
