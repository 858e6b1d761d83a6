import { defineConfig } from 'rushhour';

// The stack `npx rushhour up` boots. Every field is optional; docs/configuration.md lists them
// with their defaults.
export default defineConfig({
  stack: {
    matching: { replicas: 2 },
    booking: { replicas: 2 },
  },
  fixtures: {
    seed: 42,
    routes: 10_000,
    drivers: 5_000,
    riders: 20_000,
  },
});
