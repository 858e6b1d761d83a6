/** An API failure, answered as Toxiproxy does: `{"error": message, "status": code}`. */
export class ApiError extends Error {
  readonly status: number;
  /** Populate's partial-failure answer also lists what it created. */
  readonly extra: Record<string, unknown> | undefined;

  constructor(status: number, message: string, extra?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}
