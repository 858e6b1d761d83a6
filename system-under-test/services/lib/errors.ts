/** An error the API reports as JSON `{error:{code,message}}` with a stable code. */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export const shed = (code: string, message: string) => new HttpError(503, code, message, { 'Retry-After': '1' });

/**
 * Maps failures of dependencies to API errors: anything that means "the database is
 * overloaded or away" becomes a prompt 503 with Retry-After, so callers back off instead of
 * piling on; only genuine bugs are 500s.
 */
export function classify(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const err = error as { code?: string; message?: string };
  const message = err?.message ?? String(error);
  if (message.includes('timeout exceeded when trying to connect')) return shed('DB_POOL_TIMEOUT', 'no database connection became free in time');
  if (err?.code === '57014') return shed('DB_STATEMENT_TIMEOUT', 'the database query took too long');
  if (message === 'Query read timeout') return shed('DB_QUERY_TIMEOUT', 'the database did not answer in time');
  if (err?.code === '25006') return shed('DB_READ_ONLY', 'the database is read-only');
  if (
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08006', '08001', '08003'].includes(err?.code ?? '') ||
    /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message)
  ) {
    return shed('DB_UNAVAILABLE', 'the database is unavailable');
  }
  return new HttpError(500, 'INTERNAL', 'internal error');
}
