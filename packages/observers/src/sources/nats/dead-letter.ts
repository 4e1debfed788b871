import type { NatsHeadersLike, NatsMsgLike, NatsPubAckLike } from './nats-client.js';
import type { ResolvedNatsConfig } from './nats-config.js';
import type { NatsSession } from './nats-session.js';

/** Why a message was dead-lettered. */
export type NatsDeadLetterKind = 'max-deliver' | 'malformed' | 'rejected';

/** Headers a dead letter carries, next to the original payload (kept byte for byte). */
export const NatsDeadLetterHeaders = Object.freeze({
  /** {@link NatsDeadLetterKind}. */
  kind: 'FraiseQL-Dead-Letter-Kind',
  /** Human-readable reason: the last failure, or why the payload is not an event. */
  reason: 'FraiseQL-Dead-Letter-Reason',
  /** Subject the message was published to. */
  subject: 'FraiseQL-Original-Subject',
  /** Stream and stream sequence of the original message. */
  stream: 'FraiseQL-Original-Stream',
  sequence: 'FraiseQL-Original-Sequence',
  /** Deliveries the message had when it was dead-lettered. */
  deliveries: 'FraiseQL-Deliveries',
  /** Durable consumer that gave up on it. */
  consumer: 'FraiseQL-Consumer',
  /** Event id, when the payload is an event. */
  eventId: 'FraiseQL-Event-Id',
});

const MAX_REASON_LENGTH = 1_000;

/** One message to move to the dead-letter stream. */
export interface NatsDeadLetter {
  readonly msg: NatsMsgLike;
  readonly kind: NatsDeadLetterKind;
  readonly reason: string;
  readonly eventId?: string;
}

/**
 * Publishes a copy of `msg` to the dead-letter subject and resolves with the PubAck once the
 * dead-letter stream stored it. The copy's `Nats-Msg-Id` is the original stream and sequence,
 * so two workers dead-lettering the same message store it once.
 */
export async function publishDeadLetter(
  session: NatsSession,
  config: ResolvedNatsConfig,
  letter: NatsDeadLetter,
): Promise<NatsPubAckLike> {
  const { msg } = letter;
  const headers: NatsHeadersLike = session.headers();
  headers.set(NatsDeadLetterHeaders.kind, letter.kind);
  headers.set(NatsDeadLetterHeaders.reason, headerText(letter.reason));
  headers.set(NatsDeadLetterHeaders.subject, msg.subject);
  headers.set(NatsDeadLetterHeaders.stream, msg.info.stream);
  headers.set(NatsDeadLetterHeaders.sequence, String(msg.info.streamSequence));
  headers.set(NatsDeadLetterHeaders.deliveries, String(msg.info.deliveryCount));
  headers.set(NatsDeadLetterHeaders.consumer, msg.info.consumer);
  if (letter.eventId !== undefined) headers.set(NatsDeadLetterHeaders.eventId, letter.eventId);
  return session.jetstream.publish(config.deadLetterSubject, msg.data, {
    msgID: `${msg.info.stream}:${msg.info.streamSequence}`,
    headers,
    timeout: config.ackTimeout,
  });
}

// Header values are single lines of limited length.
function headerText(text: string): string {
  const line = text.replace(/[\r\n]+/g, ' ').trim();
  return line.length > MAX_REASON_LENGTH ? `${line.slice(0, MAX_REASON_LENGTH - 3)}...` : line;
}
