import { Redis } from 'ioredis';
import type { Counter } from 'prom-client';
import { shed } from './errors.ts';
import type { Logger } from './log.ts';

/**
 * Redis as a cache that may fail: no offline queue, one retry, a short command timeout. A dead
 * Redis then shows up as fast cache errors (and a degraded answer from the database), not as
 * requests hanging behind ioredis's default retry queue.
 */
export class Cache {
  readonly redis: Redis;
  #requests: Counter<'result'>;
  #fallback: boolean;

  /**
   * `fallback: false` is a deliberately weakened setting (chaos experiments prove they can fail
   * with it): a cache error fails the request instead of reading through to the database.
   */
  constructor(url: string, requests: Counter<'result'>, log: Logger, options: { fallback?: boolean } = {}) {
    this.#requests = requests;
    this.#fallback = options.fallback ?? true;
    this.redis = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 250,
      connectTimeout: 1_000,
      retryStrategy: (attempt) => Math.min(attempt * 100, 1_000),
      lazyConnect: false,
    });
    let lastError = '';
    this.redis.on('error', (error: Error) => {
      if (error.message !== lastError) log.warn('redis error', { error: error.message });
      lastError = error.message;
    });
    this.redis.on('ready', () => {
      lastError = '';
    });
  }

  /** A cache read: the value, or null on miss and on any error (counted as `error`), unless fallback is off. */
  async get(key: string): Promise<string | null> {
    let value: string | null;
    try {
      value = await this.redis.get(key);
    } catch {
      this.#requests.inc({ result: 'error' });
      if (!this.#fallback) throw shed('CACHE_UNAVAILABLE', 'the cache is unavailable');
      return null;
    }
    this.#requests.inc({ result: value === null ? 'miss' : 'hit' });
    return value;
  }

  /** Best effort: a failed write only means the next read misses. */
  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    try {
      await this.redis.set(key, value, 'EX', ttlSeconds);
    } catch {
      // Counted on the read side; a write failure has no caller to tell.
    }
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.redis.ping()) === 'PONG';
    } catch {
      return false;
    }
  }

  close(): void {
    this.redis.disconnect();
  }
}
