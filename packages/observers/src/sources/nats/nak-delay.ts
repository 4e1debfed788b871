import type { ResolvedNatsConfig } from './nats-config.js';

/**
 * Redelivery delay after a retryable failure on delivery `deliveryCount` (1 = first):
 * `nakDelay`, doubled per earlier delivery when the backoff is exponential, at most
 * `nakMaxDelay`.
 */
export function nakDelay(
  config: Pick<ResolvedNatsConfig, 'nakDelay' | 'nakBackoff' | 'nakMaxDelay'>,
  deliveryCount: number,
): number {
  if (config.nakBackoff === 'fixed') return Math.min(config.nakDelay, config.nakMaxDelay);
  const exponent = Math.min(Math.max(deliveryCount - 1, 0), 30);
  return Math.min(config.nakDelay * 2 ** exponent, config.nakMaxDelay);
}
