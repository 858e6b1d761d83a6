/** A GET with a hard timeout; never throws for HTTP statuses, only for network failures. */
export async function httpGet(url: string, options: { timeoutMs?: number; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 2_000), headers: options.headers });
  return { status: response.status, body: await response.text() };
}

export async function isHttpOk(url: string, timeoutMs = 1_000): Promise<boolean> {
  try {
    return (await httpGet(url, { timeoutMs })).status === 200;
  } catch {
    return false;
  }
}
