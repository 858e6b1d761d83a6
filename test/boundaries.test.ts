import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';

// DESIGN.md's dependency rule, checked mechanically: which top-level folder may import which.
const allowed: Record<string, string[]> = {
  cli: ['cli', 'harness', 'scenarios', 'chaos', 'canary', 'reports', 'fixtures', 'package.json'],
  harness: ['harness', 'fixtures'],
  scenarios: ['scenarios', 'harness', 'fixtures'],
  chaos: ['chaos', 'harness', 'fixtures'],
  canary: ['canary', 'harness', 'fixtures'],
  fixtures: ['fixtures'],
  'system-under-test': ['system-under-test'],
  reports: ['reports', 'harness'],
};

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yield* sources(full);
    else if (/\.(ts|mts|mjs|js)$/.test(entry)) yield full;
  }
}

const importPattern = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

test('every import stays inside what DESIGN.md allows', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const [folder, may] of Object.entries(allowed)) {
    let exists = true;
    try {
      statSync(folder);
    } catch {
      exists = false;
    }
    if (!exists) continue;
    for (const file of sources(folder)) {
      for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
        const specifier = match[1] ?? match[2]!;
        checked++;
        if (!specifier.startsWith('.')) continue;
        const target = path.relative('.', path.resolve(path.dirname(file), specifier)).split(path.sep)[0]!;
        if (!may.includes(target)) violations.push(`${file} imports ${specifier} (${folder} may not import ${target})`);
      }
    }
  }
  expect(checked).toBeGreaterThan(50);
  expect(violations).toEqual([]);
});

test('the harness library never imports the rushhour package by name (only users\' config files do)', () => {
  for (const file of sources('harness')) expect(readFileSync(file, 'utf8')).not.toMatch(/from ['"]rushhour['"]/);
});
