import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { bin, scratchDir, smallStackConfig } from './support/cli.ts';

const run = (args: string[], cwd: string, PATH: string) => spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, PATH }, timeout: 60_000 });

/** Processes whose command line mentions `text` (the run dir of a stack). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((entry) => /^\d+$/.test(entry))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text)) found.push(pid);
    } catch {
      // Exited while we looked.
    }
  }
  return found;
}

test('a missing program: exit 3, naming the programs and the packages to install', () => {
  // PostgreSQL is found in its versioned directory whatever PATH says; Redis and Prometheus are not.
  const result = run(['up', '--attach'], scratchDir({ 'harness.config.ts': smallStackConfig }), '/nonexistent');
  expect(result.status).toBe(3);
  expect(result.stderr).toMatch(/^RUSHHOUR_ERR_BINARY_MISSING: missing programs: redis-server, prometheus/);
  expect(result.stderr).toContain('apt-get install -y redis-server prometheus');
  expect(result.stderr).toContain('brew install redis prometheus');
});

test('install-deps says exactly what it would install', () => {
  const result = run(['install-deps', '--dry-run'], scratchDir(), '/nonexistent');
  if (process.getuid?.() === 0) {
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('install-deps: env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server prometheus');
  } else {
    expect(result.stderr).toContain('redis-server prometheus');
  }
});

test('a component that dies during boot: exit 3 with its log tail, and everything already started is stopped', () => {
  const fakes = scratchDir();
  const fake = path.join(fakes, 'redis-server');
  writeFileSync(fake, '#!/bin/sh\necho "fake redis: refusing to start" >&2\nexit 1\n');
  chmodSync(fake, 0o755);
  const result = run(['up', '--attach'], scratchDir({ 'harness.config.ts': smallStackConfig }), `${fakes}:${process.env.PATH}`);
  expect(result.status).toBe(3);
  expect(result.stderr).toMatch(/^RUSHHOUR_ERR_BOOT_FAILED: redis exited \(1\) before it was answering PING/);
  expect(result.stderr).toContain('fake redis: refusing to start');
  const runDir = result.stderr.match(/log: (\/\S+?rushhour-[^/]+)\//)?.[1];
  expect(runDir).toBeTruthy();
  expect(existsSync(runDir!)).toBe(false);
  expect(processesMentioning(runDir!)).toEqual([]);
});
