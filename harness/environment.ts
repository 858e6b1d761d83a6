import type { ResolvedConfig } from './config/schema.ts';
import { RushhourError } from './errors.ts';
import { bootLocalStack } from './local/stack.ts';
import type { Provider, RunningStack } from './topology.ts';


/**
 * The provider a run uses: the flag, else the config, else `local`.
 * DESIGN.md's default is "containers when a Docker engine answers"; until the containers
 * provider lands (issue 3) the default is `local` and asking for containers is a clear error.
 */
export function chooseProvider(flag: string | undefined, config: ResolvedConfig): Provider {
  const chosen = flag ?? config.provider ?? 'local';
  if (chosen !== 'local' && chosen !== 'containers') {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `--provider must be local or containers, not "${chosen}"`);
  }
  return chosen;
}

/** environment.up: boots the stack on the provider and returns its handle (disposable). */
export async function up(config: ResolvedConfig, provider: Provider, options: { signal?: AbortSignal } = {}): Promise<RunningStack> {
  if (provider === 'containers') {
    throw new RushhourError('RUSHHOUR_ERR_PROVIDER_UNAVAILABLE', 'the containers provider is not built yet; only `--provider local` runs today');
  }
  return bootLocalStack(config, options);
}
