import { z } from 'zod';
import { FlightError } from '../errors.js';
import { parseEventPosition } from './event-position.js';

const SEQ = z.union([
  z.string().regex(/^\d{1,19}$/, 'must be a non-negative integer'),
  z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
]);

/** The request of an `events` stream (a CMD descriptor `{"kind": "events", …}` or a ticket). */
export const eventsRequestSchema = z
  .object({
    kind: z.literal('events').optional(),
    /** Only these entity types (`object_type`). */
    entityTypes: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
    /** Only these event kinds. */
    eventTypes: z
      .array(z.enum(['INSERT', 'UPDATE', 'DELETE', 'CUSTOM']))
      .min(1)
      .optional(),
    /** Only this tenant (a tenant-bound caller reads its own tenant whatever this says). */
    tenant: z.string().min(1).max(200).optional(),
    /** First sequence, inclusive. */
    fromSeq: SEQ.optional(),
    /** Last sequence, inclusive. */
    toSeq: SEQ.optional(),
    /** Events committed at or after this time (ISO 8601 with offset). */
    since: z.iso.datetime({ offset: true }).optional(),
    /** Events committed before this time. */
    until: z.iso.datetime({ offset: true }).optional(),
    /** Keep the stream open and send new events as they commit. */
    tail: z.boolean().optional(),
    /** Resume after this position (a batch's `app_metadata.resume`). */
    after: z.string().max(64).optional(),
  })
  .strict();

/** A validated events request. */
export type EventsRequest = z.output<typeof eventsRequestSchema>;
/** What a client may send as an events request. */
export type EventsRequestInput = z.input<typeof eventsRequestSchema>;

/** @throws {FlightError} `INVALID_ARGUMENT` naming the offending field. */
export function parseEventsRequest(input: unknown): EventsRequest {
  const parsed = eventsRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FlightError(
      'INVALID_ARGUMENT',
      `events request: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  const request = parsed.data;
  if (
    request.fromSeq !== undefined &&
    request.toSeq !== undefined &&
    BigInt(request.fromSeq) > BigInt(request.toSeq)
  ) {
    throw new FlightError('INVALID_ARGUMENT', 'events request: fromSeq is after toSeq');
  }
  if (request.after !== undefined) parseEventPosition(request.after);
  return { ...request, kind: 'events' };
}
