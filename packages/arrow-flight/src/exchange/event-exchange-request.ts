import { z } from 'zod';
import { FlightError } from '../errors.js';
import { eventsRequestSchema } from '../events/events-request.js';

/** The command kind of an event exchange (the `kind` of its CMD descriptor). */
export const EVENT_EXCHANGE_KIND = 'event-exchange';

/**
 * What a client sends as the CMD descriptor (UTF-8 JSON) of the first DoExchange message to
 * open a durable event consumer.
 */
export const eventExchangeRequestSchema = z
  .object({
    kind: z.literal(EVENT_EXCHANGE_KIND),
    /** Durable name: progress is kept per name (per tenant for a tenant-bound caller). */
    consumer: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/,
        'must be 1-100 letters, digits, "_", "." or "-", starting with a letter or digit',
      ),
    entityTypes: eventsRequestSchema.shape.entityTypes,
    eventTypes: eventsRequestSchema.shape.eventTypes,
    tenant: eventsRequestSchema.shape.tenant,
    /** Where a consumer seen for the first time starts. @defaultValue 'beginning' */
    startFrom: z.enum(['beginning', 'now']).optional(),
    /** Most events sent and not yet acknowledged (the credit), capped by the server. */
    window: z.number().int().min(1).max(1_000_000).optional(),
    /** Most events per record batch, capped by the server. */
    batchRows: z.number().int().min(1).max(1_000_000).optional(),
  })
  .strict();

/** A validated event exchange request. */
export type EventExchangeRequest = z.output<typeof eventExchangeRequestSchema>;

/** @throws {FlightError} `INVALID_ARGUMENT` naming the offending field. */
export function parseEventExchangeRequest(input: unknown): EventExchangeRequest {
  const parsed = eventExchangeRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new FlightError(
      'INVALID_ARGUMENT',
      `event exchange: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`.trim(),
    );
  }
  return parsed.data;
}

/**
 * The change-log consumer name an exchange's progress is stored under: `flight:<consumer>` for
 * a caller bound to no tenant, `flight:<tenant>:<consumer>` (tenant percent-encoded) for a
 * tenant-bound one, so tenants never share progress and exchanges never share it with
 * observers.
 */
export function exchangeConsumerName(consumer: string, tenant?: string): string {
  return tenant === undefined
    ? `flight:${consumer}`
    : `flight:${encodeURIComponent(tenant)}:${consumer}`;
}
