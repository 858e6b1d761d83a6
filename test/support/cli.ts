import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inject } from 'vitest';

export const bin = path.resolve('bin/rushhour.mjs');

/** A scratch project directory; the CLI keeps .rushhour/ there. */
export function scratchDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(inject('scratchRoot'), 'rhtest-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

export function rushhour(args: string[], cwd: string, timeoutMs = 60_000, env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, ...env } });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * Like `rushhour`, but without blocking this process: needed when the command talks to a server
 * that this test process serves (spawnSync would freeze its event loop).
 */
export function rushhourAwait(args: string[], cwd: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A spawn that fails (a scratch dir removed under the test, say) emits no 'exit'.
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}spawn failed: ${error.message}` });
    });
  });
}

export function rushhourAsync(args: string[], cwd: string) {
  const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => stdout };
}

/**
 * A small local stack that boots fast: plain object export, so the file needs no imports. The
 * provider is explicit: these tests are about child processes, whatever engine runs here.
 */
export const smallStackConfig = `export default {
  provider: 'local',
  stack: { matching: { replicas: 1 }, booking: { replicas: 1 } },
  fixtures: { routes: 500, drivers: 200, riders: 200 },
};
`;
