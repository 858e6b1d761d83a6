// The fault proxy with Toxiproxy's own command line (`toxiproxy-server -host=0.0.0.0
// -port=8474 -config=file.json`), bundled into rushhour's offline fault-proxy image as
// `/toxiproxy`, where the official image has its binary. The stack starts either image with
// the same command, so one recipe serves both.
import { readFileSync } from 'node:fs';
import { startFaultProxy } from './server.ts';

function flags(argv: readonly string[]): Map<string, string> {
  const parsed = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    // Go's flag package: -name=value, --name=value, or -name value.
    const match = /^--?([a-z-]+)(?:=(.*))?$/.exec(argv[i]!);
    if (!match) throw new Error(`unexpected argument: ${argv[i]}`);
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new Error(`flag needs a value: -${match[1]}`);
    parsed.set(match[1]!, value);
  }
  return parsed;
}

try {
  const options = flags(process.argv.slice(2));
  const known = new Set(['host', 'port', 'config']);
  for (const name of options.keys()) if (!known.has(name)) throw new Error(`flag provided but not supported: -${name}`);
  const config = options.has('config') ? (JSON.parse(readFileSync(options.get('config')!, 'utf8')) as unknown[]) : undefined;
  const server = await startFaultProxy({ host: options.get('host') ?? 'localhost', port: Number(options.get('port') ?? 8474), config });
  process.stdout.write(`fault proxy (Toxiproxy API) listening on ${server.url}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
} catch (error) {
  process.stderr.write(`toxiproxy: ${(error as Error).message}\n`);
  process.exit(2);
}
