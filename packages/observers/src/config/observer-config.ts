import { EVENT_TYPES, type EventType } from '@fraiseql/core';
import { z } from 'zod';

import { compileCondition } from '../conditions/compile-condition.js';
import { isObserverError } from '../errors.js';
import { asyncFlagSchema } from './async-flag.js';
import { retryConfigSchema } from './retry-config.js';

/** What an observer does when an action failed for good. */
export const FAILURE_POLICIES = ['log', 'alert', 'dlq'] as const;

/** How an observer orders its work. */
export const ORDERING_MODES = ['none', 'per-entity'] as const;

/** Observer names: letters, digits, `_` and `-`, starting with a letter (they label metrics). */
export const OBSERVER_NAME = /^[A-Za-z][A-Za-z0-9_-]{0,127}$/;

const conditionSchema = z
  .string()
  .check(
    z.superRefine<string>((source, ctx) => {
      try {
        compileCondition(source);
      } catch (error) {
        if (!isObserverError(error)) throw error;
        ctx.addIssue({ code: 'custom', input: source, message: error.message });
      }
    }),
  )
  .meta({
    description:
      'Condition on the event, e.g. "data.total > 100 && field_changed_to(status, \'shipped\')".',
  });

const eventsSchema = z
  .array(z.enum(EVENT_TYPES as [EventType, ...EventType[]]))
  .min(1)
  .check(
    z.superRefine<EventType[]>((events, ctx) => {
      const seen = new Set<string>();
      events.forEach((event, index) => {
        if (seen.has(event)) {
          ctx.addIssue({
            code: 'custom',
            path: [index],
            input: event,
            message: `"${event}" is listed twice`,
          });
        }
        seen.add(event);
      });
    }),
  )
  .meta({ description: 'Event kinds the observer reacts to.' });

/**
 * The schema of one observer, given the schema of one action (built-in actions only for the
 * published JSON Schema; built-ins plus registered types when loading).
 */
export function createObserverConfigSchema<Action extends z.ZodType>(action: Action) {
  return z
    .strictObject({
      description: z.string().optional(),
      entity: z
        .string()
        .min(1)
        .meta({ description: 'Entity type the observer watches (e.g. "Order"), or "*" for all.' }),
      events: eventsSchema,
      condition: conditionSchema.optional(),
      actions: z.array(action).min(1).meta({ description: 'Actions run, in order, per event.' }),
      retry: retryConfigSchema.prefault({}),
      onFailure: z
        .enum(FAILURE_POLICIES)
        .default('dlq')
        .meta({ description: 'What happens when an action failed for good.' }),
      ordering: z
        .enum(ORDERING_MODES)
        .default('none')
        .meta({ description: '"per-entity" runs events of one entity one at a time, in order.' }),
      concurrency: z
        .int()
        .min(1)
        .max(10_000)
        .optional()
        .meta({ description: 'Most actions of this observer running at once.' }),
      enabled: z.boolean().default(true),
      async: asyncFlagSchema
        .optional()
        .meta({ description: 'Run every action of this observer on a job-queue worker.' }),
    })
    .meta({ description: 'An observer: which events it matches and which actions it runs.' });
}
