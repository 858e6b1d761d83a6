/**
 * Namespaced debug logging to stderr, on with RUSHHOUR_DEBUG=1 (or a comma list of
 * namespaces such as `local,reaper`) or the CLI's --debug flag.
 */
export function debug(namespace: string): (message: string) => void {
  return (message) => {
    if (enabled(namespace)) process.stderr.write(`[rushhour:${namespace}] ${message}\n`);
  };
}

function enabled(namespace: string): boolean {
  const setting = process.env.RUSHHOUR_DEBUG;
  if (!setting || setting === '0') return false;
  if (setting === '1' || setting === '*') return true;
  return setting.split(',').includes(namespace);
}
