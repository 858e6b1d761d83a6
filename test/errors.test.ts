import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { errorCatalogue, ExitCode, formatError, RushhourError } from '../harness/index.ts';

const doc = readFileSync('docs/errors.md', 'utf8');
const rows = (text: string, pattern: RegExp) => [...text.matchAll(pattern)].map((m) => [m[1]!, Number(m[2])] as const);

test('docs/errors.md lists exactly the catalogue, with the same exit codes', () => {
  const documented = new Map(rows(doc, /^\| (RUSHHOUR_ERR_[A-Z0-9_]+) \| (\d+) \|/gm));
  const catalogued = new Map(Object.entries(errorCatalogue).map(([code, entry]) => [code, entry.exit as number]));
  expect(documented).toEqual(catalogued);
});

test('exit codes in docs/errors.md and README.md match harness/exit-codes.ts', () => {
  const codes = Object.values(ExitCode).sort((a, b) => a - b);
  const inDoc = rows(doc, /^\| (\d+) \| ([^|]+) \|/gm).map(([code]) => Number(code));
  expect(inDoc).toEqual(codes);
  const readme = readFileSync('README.md', 'utf8');
  const inReadme = [...readme.matchAll(/^\| `(\d+)` \|/gm)].map((m) => Number(m[1]));
  expect(inReadme).toEqual(codes);
});

test('formatted errors carry code, details and hint, and a stack only when asked', () => {
  const error = new RushhourError('RUSHHOUR_ERR_CONFIG_INVALID', 'x.ts: 1 invalid field(s)', { details: ['x.ts: a.b: bad'] });
  const text = formatError(error);
  expect(text.split('\n')).toEqual(['RUSHHOUR_ERR_CONFIG_INVALID: x.ts: 1 invalid field(s)', '  x.ts: a.b: bad', `hint: ${errorCatalogue.RUSHHOUR_ERR_CONFIG_INVALID.hint}`]);
  expect(formatError(error, true)).toMatch(/\n\s+at /);
  expect(error.exitCode).toBe(2);
});
