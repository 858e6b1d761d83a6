// One JSON line per event on stdout; the harness keeps each service's stdout as its log.
type Fields = Record<string, unknown>;

export function createLogger(base: Fields) {
  const write = (level: string, msg: string, fields?: Fields) => {
    process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), level, ...base, msg, ...fields })}\n`);
  };
  return {
    info: (msg: string, fields?: Fields) => write('info', msg, fields),
    warn: (msg: string, fields?: Fields) => write('warn', msg, fields),
    error: (msg: string, fields?: Fields) => write('error', msg, fields),
  };
}

export type Logger = ReturnType<typeof createLogger>;
