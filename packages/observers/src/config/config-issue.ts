import { isSecretPath, redactSecrets } from '@fraiseql/core';
import type { z } from 'zod';

import { suggestKey } from './config-key-suggestion.js';
import { valueAt } from './value-at.js';

/** One problem found while loading a config. */
export interface ConfigIssue {
  /** `file` (unreadable), `syntax`, `schema` (validation) or `env` (a missing variable). */
  readonly kind: 'file' | 'syntax' | 'schema' | 'env';
  /** Dot path of the offending value: `observers.order_shipped.actions[0].url`. */
  readonly path: string;
  /** What is wrong, with the offending value where it helps. */
  readonly message: string;
  /** File the value was read from. */
  readonly file?: string;
  /** 1-based line of the value in the file (YAML, TOML and JSON files). */
  readonly line?: number;
  /** Environment variable the value came from (a `FRAISEQL_*` override). */
  readonly env?: string;
}

/** Formats an issue as one line: `path: message (file:line)`. */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where =
    issue.env !== undefined
      ? ` (from ${issue.env})`
      : issue.file !== undefined
        ? ` (${issue.file}${issue.line === undefined ? '' : `:${issue.line}`})`
        : issue.line === undefined
          ? ''
          : ` (line ${issue.line})`;
  return `${issue.path === '' ? '(root)' : issue.path}: ${issue.message}${where}`;
}

/** Formats a path: names joined by dots, indexes in brackets, odd names quoted. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (typeof segment === 'string' && /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) {
      out += out === '' ? segment : `.${segment}`;
    } else out += `[${JSON.stringify(String(segment))}]`;
  }
  return out;
}

/** Short description of a config value for messages. */
export function describeValue(value: unknown, path: readonly PropertyKey[] = []): string {
  if (value === undefined) return 'nothing';
  // A secret field's value never appears, not even a malformed one (core's redaction policy).
  if (isSecretPath(path)) return 'a value that is not shown (secret field)';
  if (Array.isArray(value)) return `a list (${value.length} item${value.length === 1 ? '' : 's'})`;
  if (typeof value === 'object' && value !== null) return 'an object';
  if (typeof value === 'string') {
    return JSON.stringify(redactSecrets(value.length > 80 ? `${value.slice(0, 77)}...` : value));
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') {
    return String(value);
  }
  return typeof value;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list',
  null: 'null',
};

type RawIssue = z.core.$ZodIssue;

/**
 * Turns a zod issue into config issues with readable messages (the zod path, not yet located).
 * `input` is the whole config the issue was found in.
 */
export function explainZodIssue(
  issue: RawIssue,
  input: unknown,
): { path: PropertyKey[]; message: string }[] {
  const path = [...issue.path];
  const value = valueAt(input, path);
  const got = describeValue(value, path);
  switch (issue.code) {
    case 'invalid_type': {
      const expected = TYPE_NAMES[issue.expected] ?? issue.expected;
      return [
        {
          path,
          message:
            value === undefined
              ? `missing (expected ${expected})`
              : `expected ${expected}, got ${got}`,
        },
      ];
    }
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: [...path, key],
        message: `unknown key "${key}"${suggestKey(input, path, key)}`,
      }));
    case 'invalid_value': {
      const allowed = issue.values.map((allowedValue) => JSON.stringify(allowedValue)).join(', ');
      return [
        {
          path,
          message:
            issue.values.length === 1
              ? `expected ${allowed}, got ${got}`
              : `expected one of ${allowed}, got ${got}`,
        },
      ];
    }
    case 'too_small':
    case 'too_big':
      return [{ path, message: sizeMessage(issue, value, got) }];
    case 'invalid_format':
      return [
        { path, message: `${customOr(issue.message, `expected ${issue.format}`)}, got ${got}` },
      ];
    case 'invalid_union': {
      const expected = new Set<string>();
      for (const branch of issue.errors) {
        for (const inner of branch) {
          if (inner.code === 'invalid_type' && inner.path.length === 0) {
            expected.add(TYPE_NAMES[inner.expected] ?? inner.expected);
          }
        }
      }
      const what = expected.size > 0 ? [...expected].join(' or ') : 'one of the allowed forms';
      return [{ path, message: `expected ${what}, got ${got}` }];
    }
    case 'invalid_key': {
      const key = path.at(-1);
      const inner = issue.issues[0];
      return [
        {
          path,
          message: `${inner === undefined ? 'invalid key' : customOr(inner.message, 'invalid key')}, got ${JSON.stringify(String(key))}`,
        },
      ];
    }
    case 'invalid_element':
      return [{ path, message: `invalid element ${got}` }];
    case 'not_multiple_of':
      return [{ path, message: `expected a multiple of ${String(issue.divisor)}, got ${got}` }];
    case 'custom':
      return [{ path, message: issue.message }];
  }
}

function customOr(message: string, fallback: string): string {
  return message.startsWith('Invalid') ? fallback : message;
}

function sizeMessage(
  issue: Extract<RawIssue, { code: 'too_small' | 'too_big' }>,
  value: unknown,
  got: string,
): string {
  const small = issue.code === 'too_small';
  const bound = small ? issue.minimum : issue.maximum;
  const inclusive = issue.inclusive !== false;
  if (issue.origin === 'array' || issue.origin === 'set') {
    const count = Array.isArray(value) ? value.length : 0;
    const noun = Number(bound) === 1 ? 'item' : 'items';
    return `expected at ${small ? 'least' : 'most'} ${String(bound)} ${noun}, got ${count}`;
  }
  if (issue.origin === 'string') {
    if (small && Number(bound) === 1) return 'expected a non-empty string';
    return `expected at ${small ? 'least' : 'most'} ${String(bound)} characters, got ${got}`;
  }
  const op = small ? (inclusive ? '>=' : '>') : inclusive ? '<=' : '<';
  return `expected a number ${op} ${String(bound)}, got ${got}`;
}
