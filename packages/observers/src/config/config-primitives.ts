import { z } from 'zod';

import { isObserverError } from '../errors.js';
import { compileJsonTemplate } from '../templates/compile-json-template.js';
import { compileTemplate } from '../templates/compile-template.js';

/** A check that reports a template's compile error as a config issue. */
function compiles<T>(compile: (value: T) => unknown): z.core.$ZodCheck<T> {
  return z.superRefine<T>((value, ctx) => {
    try {
      compile(value);
    } catch (error) {
      if (!isObserverError(error)) throw error;
      ctx.addIssue({ code: 'custom', input: value, message: error.message });
    }
  });
}

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
  .check(compiles(compileTemplate))
  .meta({ description: 'Text with {{ path }} placeholders filled from the event.' });

/**
 * A JSON template: any JSON value whose strings are templates. A string that is a single
 * `{{ path }}` keeps the JSON type of the value it names.
 */
export const jsonTemplateSchema = z
  .json()
  .check(compiles(compileJsonTemplate))
  .meta({ description: 'Any JSON value whose strings may contain {{ path }} placeholders.' });
