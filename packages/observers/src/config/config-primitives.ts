import { z } from 'zod';

/** Name of an environment variable (`WEBHOOK_URL`, `SLACK_HOOK`). */
export const envNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: 'expected an environment variable name (letters, digits, _; not starting with a digit)',
  })
  .meta({ description: 'Name of an environment variable, resolved when the config loads.' });

/** An absolute `http:` or `https:` URL. */
export const httpUrlSchema = z
  .url({ protocol: /^https?$/, error: 'expected an http or https URL' })
  .meta({ description: 'An absolute http or https URL.' });

/** A text template: `{{ path }}` placeholders are filled from the event when the action runs. */
export const templateStringSchema = z
  .string()
  .meta({ description: 'Text with {{ path }} placeholders filled from the event.' });

/**
 * A JSON template: any JSON value whose strings are templates. A string that is a single
 * `{{ path }}` keeps the JSON type of the value it names.
 */
export const jsonTemplateSchema = z
  .json()
  .meta({ description: 'Any JSON value whose strings may contain {{ path }} placeholders.' });
