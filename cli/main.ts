// The `rushhour` command: the composition root. Parses arguments, runs the command, and maps
// every outcome to a stable exit code; errors print code, message and hint, never a stack
// trace unless --debug.
import { parseArgs } from 'node:util';
import { asRushhourError, ExitCode, formatError, RushhourError } from '../harness/index.ts';
import { commands, usage } from './commands.ts';

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return ExitCode.passed;
  }
  if (name === '--version' || name === '-v') {
    const { default: pkg } = await import('../package.json', { with: { type: 'json' } });
    process.stdout.write(`rushhour ${pkg.version}\n`);
    return ExitCode.passed;
  }
  const command = commands[name];
  if (!command) throw new RushhourError('RUSHHOUR_ERR_USAGE', `unknown command "${name}"`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: { ...command.options, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `${name}: ${(error as Error).message}`);
  }
  if (parsed.values.help) {
    process.stdout.write(`${command.help}\n`);
    return ExitCode.passed;
  }
  return command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
}

const argv = process.argv.slice(2);
const debugFlag = argv.includes('--debug');
if (debugFlag) process.env.RUSHHOUR_DEBUG ??= '1';
// Exit explicitly once the command is done: a keep-alive socket or a stray timer in a
// dependency must not hold the CLI (or a stack owner) open after its work is finished.
main(argv).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const rushhourError = asRushhourError(error);
    process.stderr.write(`${formatError(rushhourError, debugFlag)}\n`);
    process.exit(rushhourError.exitCode);
  },
);
