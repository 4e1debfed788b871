import type { EventSourceBacklog } from '@fraiseql/core';
import { ObserverError } from '../../errors.js';
import type { NatsClientLike } from './nats-client.js';

/**
 * Messages of a durable consumer not yet acknowledged (not yet delivered plus in flight, over
 * all workers) and the age of the oldest, from the server's consumer info.
 *
 * @throws {ObserverError} `TRANSPORT_UNAVAILABLE` when the server cannot answer.
 */
export async function consumerBacklog(
  client: NatsClientLike,
  stream: string,
  durable: string,
): Promise<EventSourceBacklog> {
  let events: number;
  let oldestSeq: number;
  try {
    const info = await client.manager.consumers.info(stream, durable);
    events = info.num_pending + info.num_ack_pending;
    oldestSeq = info.ack_floor.stream_seq + 1;
  } catch (cause) {
    throw new ObserverError(
      'TRANSPORT_UNAVAILABLE',
      `nats source: consumer ${stream}/${durable} info failed: ${String(cause)}`,
      { cause, retryable: true, errorType: 'nats_info' },
    );
  }
  if (events === 0) return { events: 0, oldestAgeSeconds: 0 };
  // The first message above the ack floor is the oldest one not yet acknowledged; it may be
  // gone (age or size limits), in which case its age is unknown and reported as 0.
  const oldest = await client.manager.streams
    .getMessage(stream, { seq: oldestSeq })
    .catch(() => null);
  const ageMs = oldest === null ? 0 : Date.now() - oldest.time.getTime();
  return { events, oldestAgeSeconds: Math.max(0, ageMs / 1000) };
}
