import type { Delivery, EventSourceStartOptions, LogFields, Logger } from '@fraiseql/core';

/**
 * Hands `delivery` to a source's `onDelivery` callback; when the callback throws or its promise
 * rejects, logs the error with `fields` and settles the delivery `retry`, so the event is
 * redelivered instead of being held until its lease or timeout runs out.
 */
export function handDelivery(
  onDelivery: EventSourceStartOptions['onDelivery'] | undefined,
  delivery: Delivery,
  logger: Logger,
  fields: LogFields,
): void {
  const reject = (error: unknown): void => {
    logger.error({ ...fields, eventId: delivery.event.id, err: error }, 'onDelivery threw');
    delivery.settle({ status: 'retry', error }).catch(() => undefined);
  };
  try {
    const handed = onDelivery?.(delivery);
    if (handed instanceof Promise) handed.catch(reject);
  } catch (error) {
    reject(error);
  }
}
