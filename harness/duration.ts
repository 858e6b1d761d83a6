import { RushhourError } from './errors.ts';

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * k6-style durations: `500ms`, `10s`, `1m30s`, `1.5h`, or a plain number of seconds. Returns
 * milliseconds. `where` names the field in the error ("scenarios/ramp.ts: executor.stages[1].duration").
 */
export function parseDuration(text: string | number, where: string): number {
  if (typeof text === 'number') {
    if (Number.isFinite(text) && text >= 0) return text * 1_000;
  } else {
    const trimmed = text.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1_000;
    const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
    if (parts.length > 0 && parts.map((p) => p[0]).join('') === trimmed) return parts.reduce((total, p) => total + Number(p[1]) * UNITS[p[2]!]!, 0);
  }
  throw new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', `${where}: "${text}" is not a duration`, { hint: 'Write durations like 500ms, 10s, 1m30s or 2h.' });
}

export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${+(ms / 1_000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1_000);
  return seconds ? `${minutes}m${seconds}s` : `${minutes}m`;
}
