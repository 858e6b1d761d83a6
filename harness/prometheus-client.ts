/** A sample of an instant or range query: its labels and value(s). */
export interface PromSeries {
  metric: Record<string, string>;
  value?: [number, string];
  values?: [number, string][];
}

export type PromAnswer = { ok: true; series: PromSeries[] } | { ok: false; error: string; errorType: string };

/** The stack's Prometheus over its HTTP API (GET /api/v1/query and /query_range). */
export class PrometheusClient {
  constructor(readonly url: string) {}

  async #get(path: string, params: Record<string, string>): Promise<PromAnswer> {
    const response = await fetch(`${this.url}${path}?${new URLSearchParams(params)}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data?: { result: PromSeries[] }; error?: string; errorType?: string };
    if (body.status !== 'success') return { ok: false, error: body.error ?? `HTTP ${response.status}`, errorType: body.errorType ?? 'unknown' };
    return { ok: true, series: body.data?.result ?? [] };
  }

  query(expression: string, atSeconds?: number): Promise<PromAnswer> {
    return this.#get('/api/v1/query', { query: expression, ...(atSeconds !== undefined ? { time: String(atSeconds) } : {}) });
  }

  queryRange(expression: string, startSeconds: number, endSeconds: number, stepSeconds: number): Promise<PromAnswer> {
    return this.#get('/api/v1/query_range', { query: expression, start: String(startSeconds), end: String(endSeconds), step: String(stepSeconds) });
  }

  /** Waits until Prometheus has scraped past `atSeconds` (so the last second of a run is in). */
  async waitForScrapeAfter(atSeconds: number, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.query('max(timestamp(up))').catch(() => null);
      const latest = answer?.ok ? Number(answer.series[0]?.value?.[1] ?? 0) : 0;
      if (latest >= atSeconds) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
