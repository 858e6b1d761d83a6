import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { findBinary, installDeps } from '../binaries.ts';
import type { ResolvedConfig } from '../config/schema.ts';
import { RushhourError } from '../errors.ts';
import { projectRoot, sutRoot } from '../paths.ts';
import { runToCompletion } from '../process.ts';
import { dockerClient } from './docker.ts';

export type Progress = (line: string) => void;

/** The image each component runs, once resolved (present locally, pulled or built). */
export interface StackImages {
  source: 'official' | 'offline';
  postgres: string;
  redis: string;
  prometheus: string;
  faultProxy: string;
  sut: string;
}

// ---------------------------------------------------------------------------------------------
// The offline images: no registry, only Debian's archive and this machine's Node.
// ---------------------------------------------------------------------------------------------

/** What goes into the offline base image. Changing any of it changes the content hash. */
const OFFLINE_RECIPE = {
  suite: 'bookworm',
  variant: 'minbase',
  packages: ['postgresql-15', 'redis-server', 'prometheus'],
  // Docs, man pages, locales and apt's caches: a third of the rootfs, unused in a container.
  prune: ['var/cache/apt/archives', 'var/lib/apt/lists', 'usr/share/doc', 'usr/share/man', 'usr/share/locale'],
  path: '/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin',
  revision: 1,
};

const short = (hash: string) => hash.slice(0, 12);
const sha = (...parts: (string | Buffer)[]) => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
};

/** The offline base: the recipe and the exact Node binary copied in. */
function offlineBaseTag(): string {
  return `rushhour/offline-base:${short(sha(JSON.stringify(OFFLINE_RECIPE), process.version, process.arch, String(statSync(process.execPath).size)))}`;
}

async function imageExists(tag: string): Promise<boolean> {
  const docker = await dockerClient();
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch {
    return false;
  }
}

async function imageId(tag: string): Promise<string> {
  const docker = await dockerClient();
  return (await docker.getImage(tag).inspect()).Id;
}

/** Where the host's apt fetches bookworm from, so debootstrap uses the same mirror (or its default). */
function hostMirror(): string | undefined {
  const files = ['/etc/apt/sources.list', ...(existsSync('/etc/apt/sources.list.d') ? readdirSync('/etc/apt/sources.list.d').map((f) => path.join('/etc/apt/sources.list.d', f)) : [])];
  for (const file of files.filter((f) => /\.(list|sources)$/.test(f))) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    // One-line format: deb [options] URI suite components...
    const oneLine = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s+.*\bmain\b/m.exec(text);
    if (oneLine) return oneLine[1];
    // deb822 format: a stanza with URIs, Suites containing bookworm, Components containing main.
    for (const stanza of text.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      if (uri && /^Suites:.*\bbookworm\b/m.test(stanza) && /^Components:.*\bmain\b/m.test(stanza) && !uri.includes('security')) return uri;
    }
  }
  return undefined;
}

async function step(progress: Progress, title: string, run: () => Promise<void>): Promise<void> {
  const started = performance.now();
  progress(`  ${title}...`);
  try {
    await run();
  } catch (cause) {
    const error = cause instanceof RushhourError ? cause : null;
    throw new RushhourError('RUSHHOUR_ERR_IMAGE_BUILD_FAILED', `image build failed at: ${title}`, { cause, details: error ? [error.message, ...error.details] : [(cause as Error).message] });
  }
  progress(`  ${title}: ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function run(name: string, command: string, args: string[], logFile: string, timeoutMs = 600_000): Promise<void> {
  return runToCompletion({ name, command, args, logFile }, timeoutMs);
}

/**
 * The offline base image: a Debian bookworm minbase rootfs by debootstrap, PostgreSQL 15, Redis
 * and Prometheus installed with apt in a chroot, this machine's Node 20 copied in (one binary
 * linked only against bookworm's glibc and libstdc++), imported with `docker import`.
 * Every component but the fault proxy and the SUT runs on it directly.
 */
async function buildOfflineBase(progress: Progress, force: boolean): Promise<string> {
  const tag = offlineBaseTag();
  if (!force && (await imageExists(tag))) {
    progress(`${tag}: up to date`);
    return tag;
  }
  if (process.getuid?.() !== 0) {
    throw new RushhourError('RUSHHOUR_ERR_IMAGE_BUILD_FAILED', 'building the offline images needs root (debootstrap and chroot)', { hint: 'Run it as root: `sudo npx rushhour images build --offline`.' });
  }
  if (!findBinary('debootstrap')) installDeps({ containers: true, print: progress });
  const work = path.join('/var/tmp', `rushhour-image-${tag.split(':')[1]}`);
  const rootfs = path.join(work, 'rootfs');
  const log = path.join(work, 'build.log');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  progress(`${tag}: building (debootstrap + apt in a chroot, about a minute; log ${log})`);
  try {
    const mirror = hostMirror();
    await step(progress, `debootstrap --variant=${OFFLINE_RECIPE.variant} ${OFFLINE_RECIPE.suite}`, () =>
      run('debootstrap', findBinary('debootstrap')!, [`--variant=${OFFLINE_RECIPE.variant}`, OFFLINE_RECIPE.suite, rootfs, ...(mirror ? [mirror] : [])], log),
    );
    copyFileSync('/etc/resolv.conf', path.join(rootfs, 'etc/resolv.conf'));
    // Services must not start inside the chroot while their packages install.
    writeFileSync(path.join(rootfs, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const install = `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${OFFLINE_RECIPE.packages.join(' ')}`;
    await step(progress, `apt-get install ${OFFLINE_RECIPE.packages.join(' ')} (chroot)`, () => run('chroot-apt', 'chroot', [rootfs, '/bin/sh', '-c', install], log));
    for (const dir of OFFLINE_RECIPE.prune) rmSync(path.join(rootfs, dir), { recursive: true, force: true });
    mkdirSync(path.join(rootfs, 'var/lib/apt/lists/partial'), { recursive: true });
    rmSync(path.join(rootfs, 'usr/sbin/policy-rc.d'), { force: true });
    writeFileSync(path.join(rootfs, 'etc/resolv.conf'), '');
    copyFileSync(process.execPath, path.join(rootfs, 'usr/local/bin/node'));
    chmodSync(path.join(rootfs, 'usr/local/bin/node'), 0o755);
    await step(progress, 'check node in the rootfs', () => run('chroot-node', 'chroot', [rootfs, '/usr/local/bin/node', '-e', 'process.exit(0)'], log, 30_000));
    await step(progress, `docker import ${tag}`, () => dockerImport(rootfs, tag, [`ENV PATH=${OFFLINE_RECIPE.path}`, 'ENV LANG=C.UTF-8', 'LABEL dev.rushhour.image=offline-base', 'CMD ["/bin/sh"]'], log));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return tag;
}

/** `tar -C rootfs -c . | docker import -c CHANGE... - tag`, streamed: the rootfs never lands in a file. */
function dockerImport(rootfs: string, tag: string, changes: string[], logFile: string): Promise<void> {
  const docker = findBinary('docker');
  if (!docker) throw new RushhourError('RUSHHOUR_ERR_BINARY_MISSING', 'the docker command is missing', { details: ['Debian/Ubuntu: sudo apt-get install -y docker.io'] });
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-C', rootfs, '--numeric-owner', '-c', '.'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const importer = spawn(docker, ['import', ...changes.flatMap((change) => ['-c', change]), '-', tag], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    tar.stderr.on('data', (chunk) => (output += chunk));
    importer.stdout.on('data', (chunk) => (output += chunk));
    importer.stderr.on('data', (chunk) => (output += chunk));
    tar.stdout.pipe(importer.stdin);
    tar.once('error', reject);
    importer.once('error', reject);
    importer.once('exit', (code) => {
      writeFileSync(logFile, output, { flag: 'a' });
      if (code === 0) resolve();
      else reject(new Error(`docker import exited with ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

/** Builds an image from a Dockerfile through the engine's API (no CLI plugin, no registry when FROM is local). */
async function buildFromDockerfile(context: string, dockerfile: string, tag: string, buildArgs: Record<string, string>): Promise<void> {
  const { GenericContainer } = await import('testcontainers');
  await GenericContainer.fromDockerfile(context, dockerfile).withBuildArgs(buildArgs).build(tag, { deleteOnExit: false });
}

/**
 * The offline fault-proxy image: rushhour's Toxiproxy-compatible proxy, bundled into one file,
 * installed as `/toxiproxy` on the offline base, so it starts with the official image's command.
 */
async function buildOfflineFaultProxy(base: string, progress: Progress, force: boolean): Promise<string> {
  const { build } = await import('esbuild');
  const bundled = await build({
    // Paths in the bundle's comments are relative to this: fixed, so the hash is the same from any cwd.
    absWorkingDir: projectRoot,
    entryPoints: [path.join(projectRoot, 'chaos', 'proxy', 'toxiproxy-main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    write: false,
    banner: { js: "import { createRequire as __rushhourRequire } from 'node:module'; const require = __rushhourRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  const bundle = Buffer.from(bundled.outputFiles[0]!.contents);
  const shim = '#!/bin/sh\nexec node /opt/rushhour/fault-proxy.mjs "$@"\n';
  const dockerfile = `FROM ${base}\nCOPY fault-proxy.mjs /opt/rushhour/fault-proxy.mjs\nCOPY toxiproxy /toxiproxy\nEXPOSE 8474\nENTRYPOINT ["/toxiproxy"]\nCMD ["-host=0.0.0.0"]\n`;
  const tag = `rushhour/fault-proxy:${short(sha(await imageId(base), bundle, shim, dockerfile))}`;
  if (!force && (await imageExists(tag))) {
    progress(`${tag}: up to date`);
    return tag;
  }
  const context = path.join('/var/tmp', `rushhour-fault-proxy-${process.pid}`);
  mkdirSync(context, { recursive: true });
  try {
    writeFileSync(path.join(context, 'fault-proxy.mjs'), bundle);
    writeFileSync(path.join(context, 'toxiproxy'), shim, { mode: 0o755 });
    writeFileSync(path.join(context, 'Dockerfile'), dockerfile);
    await step(progress, `build ${tag}`, () => buildFromDockerfile(context, 'Dockerfile', tag, {}));
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  return tag;
}

/** The SUT's image from system-under-test/containers/Dockerfile on the given Node base. */
export async function buildSutImage(nodeImage: string, progress: Progress, force = false): Promise<string> {
  await runToCompletion({ name: 'sut-build', command: process.execPath, args: [path.join(sutRoot, 'build.mjs')], cwd: sutRoot, logFile: '/dev/null' }, 120_000);
  const inputs = [
    readFileSync(path.join(sutRoot, 'dist', 'BUILD_HASH'), 'utf8'),
    readFileSync(path.join(sutRoot, 'containers', 'Dockerfile')),
    readFileSync(path.join(sutRoot, 'containers', 'service.sh')),
    readFileSync(path.join(sutRoot, '.dockerignore')),
    ...readdirSync(path.join(sutRoot, 'db', 'migrations')).sort().map((file) => readFileSync(path.join(sutRoot, 'db', 'migrations', file))),
  ];
  const tag = `rushhour/sut:${short(sha(await imageId(nodeImage), ...inputs))}`;
  if (!force && (await imageExists(tag))) {
    progress(`${tag}: up to date`);
    return tag;
  }
  await step(progress, `build ${tag} (FROM ${nodeImage})`, () => buildFromDockerfile(sutRoot, 'containers/Dockerfile', tag, { NODE_IMAGE: nodeImage }));
  return tag;
}

/** Every offline image, each skipped when an image with its content hash exists. */
export async function buildOfflineImages(options: { progress: Progress; force?: boolean }): Promise<StackImages> {
  const force = options.force ?? false;
  const base = await buildOfflineBase(options.progress, force);
  const faultProxy = await buildOfflineFaultProxy(base, options.progress, force);
  const sut = await buildSutImage(base, options.progress, force);
  return { source: 'offline', postgres: base, redis: base, prometheus: base, faultProxy, sut };
}

// ---------------------------------------------------------------------------------------------
// Official images (or the user's own): present, or pulled.
// ---------------------------------------------------------------------------------------------

async function pull(image: string): Promise<void> {
  const docker = await dockerClient();
  const stream = await docker.pull(image);
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error: Error | null) => (error ? reject(error) : resolve())));
}

type ComponentImages = Omit<StackImages, 'source' | 'sut'> & { node: string };

async function ensurePresent(images: ComponentImages, progress: Progress): Promise<{ ok: true } | { ok: false; failures: string[] }> {
  const failures: string[] = [];
  for (const image of new Set(Object.values(images))) {
    if (await imageExists(image)) continue;
    progress(`pulling ${image}...`);
    try {
      await pull(image);
    } catch (error) {
      failures.push(`${image}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return failures.length ? { ok: false, failures } : { ok: true };
}

/**
 * The images a containers stack runs, by the config's image source. `auto` prefers the
 * configured (official) images when they are present or can be pulled, then the offline ones,
 * building them on first use: on a machine with no registry that is the only way to boot.
 */
export async function resolveImages(config: ResolvedConfig, progress: Progress): Promise<StackImages> {
  const { imageSource, images } = config.containers;
  const configured: ComponentImages = { postgres: images.postgres, redis: images.redis, prometheus: images.prometheus, faultProxy: images.faultProxy, node: images.node };
  const withSut = async (resolved: Omit<StackImages, 'sut'>, nodeImage: string): Promise<StackImages> => ({ ...resolved, sut: images.sut ?? (await buildSutImage(nodeImage, progress)) });
  const offline = async () => ({ ...(await buildOfflineImages({ progress })), ...(images.sut ? { sut: images.sut } : {}) });
  if (imageSource === 'offline') return offline();
  if (imageSource === 'auto') {
    const allPresent = (await Promise.all(Object.values(configured).map(imageExists))).every(Boolean);
    // Offline images built on this machine win over a pull: whoever built them meant them to be used.
    if (!allPresent && (await imageExists(offlineBaseTag()))) return offline();
  }
  const present = await ensurePresent(configured, progress);
  if (present.ok) return withSut({ source: 'official', ...configured }, configured.node);
  if (imageSource === 'official') {
    throw new RushhourError('RUSHHOUR_ERR_IMAGE_UNAVAILABLE', 'images the stack needs are missing and could not be pulled', { details: present.failures });
  }
  progress(`official images unavailable (${present.failures.length} could not be pulled); using rushhour's offline images`);
  return offline();
}
