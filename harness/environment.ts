import type { ResolvedConfig } from './config/schema.ts';
import { bootContainerStack } from './containers/stack.ts';
import { dockerAnswers } from './containers/docker.ts';
import { RushhourError } from './errors.ts';
import { bootLocalStack } from './local/stack.ts';
import type { Provider, RunningStack } from './topology.ts';

/**
 * The provider a run uses: the flag, else the config, else DESIGN.md's default: `containers`
 * when a Docker engine answers, `local` otherwise.
 */
export async function chooseProvider(flag: string | undefined, config: ResolvedConfig): Promise<Provider> {
  const chosen = flag ?? config.provider;
  if (chosen === undefined) return (await dockerAnswers()) ? 'containers' : 'local';
  if (chosen !== 'local' && chosen !== 'containers') {
    throw new RushhourError('RUSHHOUR_ERR_USAGE', `--provider must be local or containers, not "${chosen}"`);
  }
  return chosen;
}

export interface UpOptions {
  signal?: AbortSignal;
  /** Lines worth showing while a long step runs (an image build on a first containers boot). */
  progress?: (line: string) => void;
}

/** environment.up: boots the stack on the provider and returns its handle (disposable). */
export async function up(config: ResolvedConfig, provider: Provider, options: UpOptions = {}): Promise<RunningStack> {
  return provider === 'containers' ? bootContainerStack(config, options) : bootLocalStack(config, options);
}
