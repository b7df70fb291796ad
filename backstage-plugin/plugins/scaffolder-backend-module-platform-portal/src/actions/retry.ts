import { setTimeout as sleep } from 'node:timers/promises';
import type { LoggerService } from '@backstage/backend-plugin-api';
import { PortalError } from '@platform-portal/plugin-platform-portal-common';

export interface RetryOptions {
  attempts: number;
  initialDelayMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { attempts: 4, initialDelayMs: 1_000 };

/**
 * Call fn again, with doubling pauses, while it fails with an error worth another try.
 *
 * Only for calls that are safe to repeat: starting a run is, because it carries an idempotency key.
 */
export async function withRetries<T>(
  what: string,
  fn: () => Promise<T>,
  options: RetryOptions & { logger: LoggerService; signal?: AbortSignal },
): Promise<T> {
  let delay = options.initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!(error instanceof PortalError) || !error.retryable || attempt >= options.attempts) {
        throw error;
      }
      options.logger.warn(
        `${what} failed (${error.message}); attempt ${attempt + 1} of ${options.attempts} in ${delay} ms`,
      );
      await sleep(delay, undefined, { signal: options.signal });
      delay *= 2;
    }
  }
}
