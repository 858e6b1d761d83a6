import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { harnessDefaults, loadConfig, resolveConfig, RushhourError } from '../harness/index.ts';
import { rushhour, scratchDir } from './support/cli.ts';

describe('config: resolve, validate, freeze', () => {
  test('every problem is reported at once, each naming the file and the field path', () => {
    let error: unknown;
    try {
      resolveConfig({ stack: { matching: { replicas: 0 }, mathcing: {} }, fixtures: { serviceDate: 'monday', cities: ['paris'] }, sut: { pool: { max: 'ten' } }, colour: 'red' }, 'harness.config.ts');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(RushhourError);
    const e = error as RushhourError;
    expect(e.code).toBe('RUSHHOUR_ERR_CONFIG_INVALID');
    expect(e.exitCode).toBe(2);
    const text = e.details.join('\n');
    for (const field of ['stack.matching.replicas', 'stack.mathcing: unknown key', 'fixtures.serviceDate', 'fixtures.cities.0', 'sut.pool.max', 'colour: unknown key']) {
      expect(text).toContain(`harness.config.ts: ${field}`);
    }
  });

  test('defaults fill every field, and the resolved config is deeply frozen', () => {
    const config = resolveConfig({ stack: { booking: { replicas: 3 } } }, 'x.ts');
    expect(config.stack.booking.replicas).toBe(3);
    expect(config.stack.matching.replicas).toBe(harnessDefaults.stack.matching.replicas);
    expect(config.sut.pool.connectionTimeoutMs).toBe(1_000);
    expect(config.fixtures.routes).toBe(10_000);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.sut.pool)).toBe(true);
    expect(Object.isFrozen(config.fixtures.cities)).toBe(true);
    expect(() => {
      (config.stack.booking as { replicas: number }).replicas = 9;
    }).toThrow(TypeError);
  });

  test('loadConfig imports a TypeScript config file and names it in errors', async () => {
    const dir = scratchDir({ 'good.config.ts': 'const n: number = 2;\nexport default { stack: { matching: { replicas: n } } };\n', 'bad.config.ts': 'export default { fixtures: { seed: -1 } };\n' });
    const { config } = await loadConfig({ cwd: dir, file: 'good.config.ts' });
    expect(config.stack.matching.replicas).toBe(2);
    await expect(loadConfig({ cwd: dir, file: 'bad.config.ts' })).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_CONFIG_INVALID', details: [expect.stringContaining('bad.config.ts: fixtures.seed')] });
    await expect(loadConfig({ cwd: dir, file: 'missing.ts' })).rejects.toMatchObject({ code: 'RUSHHOUR_ERR_CONFIG_NOT_FOUND' });
    // No file and none asked for: the defaults.
    expect((await loadConfig({ cwd: dir })).file).toBeNull();
  });
});

describe('CLI: errors are a code, a message and a hint, with a stable exit code', () => {
  const noStackTrace = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

  test('an invalid config file: exit 2, naming file and fields', () => {
    const dir = scratchDir({ 'broken.config.ts': 'export default { stack: { matching: { replicas: 99 } }, sut: { readRouting: "yes" } };\n' });
    const result = rushhour(['up', '--config', 'broken.config.ts'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^RUSHHOUR_ERR_CONFIG_INVALID: broken\.config\.ts: 2 invalid field\(s\)/);
    expect(result.stderr).toContain('broken.config.ts: stack.matching.replicas');
    expect(result.stderr).toContain('broken.config.ts: sut.readRouting');
    expect(result.stderr).toContain('hint: ');
    noStackTrace(result.stderr);
  });

  test('a config that does not import: exit 2 RUSHHOUR_ERR_CONFIG_LOAD', () => {
    const dir = scratchDir({ 'syntax.config.ts': 'export default { stack: ;\n' });
    const result = rushhour(['up', '--config', 'syntax.config.ts'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^RUSHHOUR_ERR_CONFIG_LOAD: syntax\.config\.ts/);
    noStackTrace(result.stderr);
  });

  test.each([
    [['bogus'], 2, 'RUSHHOUR_ERR_USAGE'],
    [['up', '--no-such-flag'], 2, 'RUSHHOUR_ERR_USAGE'],
    [['up', '--config', 'nope.ts'], 2, 'RUSHHOUR_ERR_CONFIG_NOT_FOUND'],
    [['up', '--provider', 'cloud'], 2, 'RUSHHOUR_ERR_USAGE'],
    [['probe'], 2, 'RUSHHOUR_ERR_STACK_NOT_UP'],
    [['run'], 2, 'RUSHHOUR_ERR_USAGE'],
    [['run', 'smoke', '--scale', '0'], 2, 'RUSHHOUR_ERR_USAGE'],
    [['images', 'pull'], 2, 'RUSHHOUR_ERR_USAGE'],
  ])('rushhour %j → exit %i %s', (args, code, errorCode) => {
    const result = rushhour(args, scratchDir());
    expect(result.code).toBe(code);
    expect(result.stderr.startsWith(`${errorCode}: `)).toBe(true);
    noStackTrace(result.stderr);
  });

  test('--provider containers with no Docker engine answering: exit 3 RUSHHOUR_ERR_PROVIDER_UNAVAILABLE', () => {
    const result = rushhour(['up', '--provider', 'containers'], scratchDir(), 60_000, { DOCKER_HOST: 'unix:///nonexistent/docker.sock' });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(/^RUSHHOUR_ERR_PROVIDER_UNAVAILABLE: .*Docker engine/);
    expect(result.stderr).toContain('install-deps --containers');
    noStackTrace(result.stderr);
  });

  test('--debug adds the stack trace', () => {
    const result = rushhour(['up', '--config', 'nope.ts', '--debug'], scratchDir());
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^\s+at /m);
  });

  test('a corrupt state file is a clear error, not a crash', () => {
    const dir = scratchDir();
    rushhour(['status'], dir);
    const stateDir = path.join(dir, '.rushhour');
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(path.join(stateDir, 'state.json'), '{ not json');
    const result = rushhour(['status'], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^RUSHHOUR_ERR_STATE_CORRUPT: \.rushhour\/state\.json/);
  });

  test('status, down and help work with no stack up', () => {
    const dir = scratchDir();
    expect(rushhour(['status'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('No stack is up') });
    expect(rushhour(['down'], dir)).toMatchObject({ code: 0 });
    expect(rushhour(['--help'], dir)).toMatchObject({ code: 0, stdout: expect.stringContaining('Commands:') });
  });
});
