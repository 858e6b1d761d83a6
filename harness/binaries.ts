import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { RushhourError } from './errors.ts';

/** A program the local provider runs, and the Debian package / Homebrew formula that ships it. */
interface BinarySpec {
  name: string;
  debian: string;
  brew: string;
  /** Extra directories searched after PATH, newest version first. */
  dirs: () => string[];
}

const postgresDirs = () => {
  const roots = ['/usr/lib/postgresql', '/usr/local/lib/postgresql'];
  const versioned = roots.flatMap((root) =>
    existsSync(root)
      ? readdirSync(root)
          .filter((version) => /^\d+$/.test(version) && Number(version) >= 13)
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => path.join(root, version, 'bin'))
      : [],
  );
  const brew = ['/opt/homebrew', '/usr/local'].flatMap((prefix) =>
    ['postgresql@17', 'postgresql@16', 'postgresql@15', 'postgresql'].map((formula) => path.join(prefix, 'opt', formula, 'bin')),
  );
  return [...versioned, ...brew];
};
const brewBins = () => ['/opt/homebrew/bin', '/usr/local/bin'];
// Daemons and image tools live in sbin, which an ordinary user's PATH may lack.
const sbin = () => ['/usr/sbin', '/usr/bin', '/sbin', '/usr/local/sbin'];

/**
 * PostgreSQL server programs are looked up in the versioned directory first: Debian puts
 * only client wrappers on PATH, and initdb, postgres and pg_basebackup must come from the
 * same major version.
 */
export const binaries = {
  postgres: { name: 'postgres', debian: 'postgresql-15', brew: 'postgresql@15', dirs: postgresDirs },
  initdb: { name: 'initdb', debian: 'postgresql-15', brew: 'postgresql@15', dirs: postgresDirs },
  pg_basebackup: { name: 'pg_basebackup', debian: 'postgresql-15', brew: 'postgresql@15', dirs: postgresDirs },
  'redis-server': { name: 'redis-server', debian: 'redis-server', brew: 'redis', dirs: brewBins },
  prometheus: { name: 'prometheus', debian: 'prometheus', brew: 'prometheus', dirs: brewBins },
  promtool: { name: 'promtool', debian: 'prometheus', brew: 'prometheus', dirs: brewBins },
  // The containers provider: an engine, and debootstrap for the offline images.
  dockerd: { name: 'dockerd', debian: 'docker.io', brew: 'docker', dirs: sbin },
  docker: { name: 'docker', debian: 'docker.io', brew: 'docker', dirs: sbin },
  debootstrap: { name: 'debootstrap', debian: 'debootstrap', brew: 'debootstrap', dirs: sbin },
  // The report tests: a real browser (Debian's, never a downloaded one) and a JUnit schema check.
  chromium: { name: 'chromium', debian: 'chromium', brew: 'chromium', dirs: brewBins },
  xmllint: { name: 'xmllint', debian: 'libxml2-utils', brew: 'libxml2', dirs: brewBins },
} as const satisfies Record<string, BinarySpec>;

export type BinaryName = keyof typeof binaries;

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Absolute path of a binary, or null. PostgreSQL's versioned dirs win over PATH. */
export function findBinary(name: BinaryName): string | null {
  const spec = binaries[name];
  const pathDirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const dirs = spec.dirs === postgresDirs ? [...spec.dirs(), ...pathDirs] : [...pathDirs, ...spec.dirs()];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

/** Resolves every binary at once, so a missing-binaries error lists all of them. */
export function requireBinaries<const N extends BinaryName>(names: readonly N[]): Record<N, string> {
  const found = {} as Record<N, string>;
  const missing: N[] = [];
  for (const name of names) {
    const file = findBinary(name);
    if (file) found[name] = file;
    else missing.push(name);
  }
  if (missing.length) {
    const { debian, brew } = packagesFor(missing);
    throw new RushhourError('RUSHHOUR_ERR_BINARY_MISSING', `missing programs: ${missing.join(', ')}`, {
      details: [`Debian/Ubuntu: sudo apt-get install -y ${debian.join(' ')}`, `macOS (Homebrew): brew install ${brew.join(' ')}`],
    });
  }
  return found;
}

function packagesFor(names: readonly BinaryName[]): { debian: string[]; brew: string[] } {
  const debian = [...new Set(names.map((name) => binaries[name].debian))];
  const brew = [...new Set(names.map((name) => binaries[name].brew))];
  return { debian, brew };
}

export const localStackBinaries = ['postgres', 'initdb', 'pg_basebackup', 'redis-server', 'prometheus', 'promtool'] as const satisfies readonly BinaryName[];
/** What the containers provider needs on the host to run its engine and build offline images. */
export const containerHostBinaries = ['dockerd', 'docker', 'debootstrap'] as const satisfies readonly BinaryName[];
/** What the report tests need: Chromium for playwright-core, xmllint for the JUnit schema. */
export const reportTestBinaries = ['chromium', 'xmllint'] as const satisfies readonly BinaryName[];

/**
 * Installs the local provider's programs with apt where it can, as `playwright install-deps`
 * does; elsewhere it says exactly what to install. Returns the lines it printed.
 */
export function installDeps(options: { dryRun?: boolean; containers?: boolean; reports?: boolean; print?: (line: string) => void } = {}): { installed: string[]; alreadyPresent: boolean } {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const wanted: BinaryName[] = [...localStackBinaries, ...(options.containers ? containerHostBinaries : []), ...(options.reports ? reportTestBinaries : [])];
  const missing = wanted.filter((name) => !findBinary(name));
  if (missing.length === 0) {
    const who = ['the local provider', ...(options.containers ? ['the containers provider'] : []), ...(options.reports ? ['the report tests'] : [])];
    print(`install-deps: every program ${who.length === 1 ? `${who[0]} needs` : `${who.slice(0, -1).join(', ')} and ${who.at(-1)} need`} is present.`);
    return { installed: [], alreadyPresent: true };
  }
  const { debian, brew } = packagesFor(missing);
  const hasApt = existsSync('/usr/bin/apt-get');
  const isRoot = process.getuid?.() === 0;
  const canSudo = !isRoot && hasApt && spawnSync('sudo', ['-n', 'true'], { stdio: 'ignore' }).status === 0;
  if (!hasApt || (!isRoot && !canSudo)) {
    const how = hasApt ? `sudo apt-get install -y ${debian.join(' ')}` : process.platform === 'darwin' ? `brew install ${brew.join(' ')}` : `install: ${debian.join(' ')} (Debian names)`;
    throw new RushhourError('RUSHHOUR_ERR_BINARY_MISSING', `missing programs: ${missing.join(', ')}; rushhour cannot install them here`, {
      details: [how],
    });
  }
  const sudo = isRoot ? [] : ['sudo', '-n'];
  const commands = [
    [...sudo, 'apt-get', 'update', '-qq'],
    [...sudo, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...debian],
  ];
  for (const command of commands) {
    print(`install-deps: ${command.join(' ')}`);
    if (options.dryRun) continue;
    try {
      execFileSync(command[0]!, command.slice(1), { stdio: 'inherit' });
    } catch (cause) {
      throw new RushhourError('RUSHHOUR_ERR_INSTALL_FAILED', `\`${command.join(' ')}\` failed`, { cause, details: [`packages: ${debian.join(' ')}`] });
    }
  }
  if (!options.dryRun) {
    const still = missing.filter((name) => !findBinary(name));
    if (still.length) throw new RushhourError('RUSHHOUR_ERR_INSTALL_FAILED', `still missing after install: ${still.join(', ')}`);
  }
  return { installed: debian, alreadyPresent: false };
}
