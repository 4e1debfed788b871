import { parseDuration, type DurationInput } from '@fraiseql/core';
import { z } from 'zod';

import {
  EXTENSION_ACTION_PACKAGES,
  builtinActionSchema,
  builtinActionSchemas,
  type ActionConfig,
} from './action-config.js';
import { envNameSchema } from './config-primitives.js';
import { fieldPresence } from './field-presence.js';
import { sourceConfigSchema } from './source-config.js';
import { OBSERVER_NAME, createObserverConfigSchema } from './observer-config.js';
import type { RetryConfig } from './retry-config.js';

/** The slice of an action registry config validation uses (`ActionRegistry` fits). */
export interface ActionSchemaSource {
  /** Every registered action type. */
  knownTypes(): readonly string[];
  /** The config schema a type was registered with, if any. */
  schemaFor(type: string): z.ZodType | undefined;
  /** Names of registered `function` handlers; when given, `function` actions must use one. */
  functionNames?(): readonly string[];
}

const redisSchema = z
  .strictObject({
    url: z.url({ protocol: /^rediss?$/, error: 'expected a redis:// or rediss:// URL' }).optional(),
    urlEnv: envNameSchema.optional(),
  })
  .check(fieldPresence('exactly-one', ['url', 'urlEnv']))
  .meta({ description: 'Default Redis for cache actions (and dedup).' });

/** Why `name` cannot name an observer. */
export function invalidNameMessage(name: string): string {
  return `invalid observer name ${JSON.stringify(name)}: use a letter, then letters, digits, "_" or "-" (at most 128 characters)`;
}

/**
 * Observer names of a config as written that the schema's record would drop without a word:
 * `__proto__`, which an object literal turns into the prototype instead of a key.
 */
export function droppedObserverNames(input: unknown): string[] {
  if (typeof input !== 'object' || input === null) return [];
  const observers = (input as { observers?: unknown }).observers;
  if (typeof observers !== 'object' || observers === null) return [];
  return Object.hasOwn(observers, '__proto__') ? ['__proto__'] : [];
}

// Names are checked beside the observers (not as record keys) so an observer with a bad name
// still gets its own fields validated in the same run.
const observerNames = z.superRefine<unknown>(
  (observers, ctx) => {
    if (typeof observers !== 'object' || observers === null) return;
    for (const name of Object.keys(observers)) {
      if (!OBSERVER_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          input: name,
          message: invalidNameMessage(name),
        });
      }
    }
  },
  { when: () => true },
);

/** The ack deadline of a source as written (NATS `ackWait`, change-log `leaseDuration`). */
function ackDeadline(source: unknown): { option: string; ms: number } | undefined {
  const { kind = 'change-log', ...options } = (source ?? {}) as Record<string, unknown>;
  const option = kind === 'nats' ? 'ackWait' : kind === 'change-log' ? 'leaseDuration' : undefined;
  if (option === undefined) return undefined;
  const written = options[option] ?? DEFAULT_ACK_DEADLINE_MS;
  try {
    return { option, ms: parseDuration(written as DurationInput) };
  } catch {
    return undefined; // reported by the source's own schema
  }
}

const DEFAULT_ACK_DEADLINE_MS = 30_000;

// An attempt that can outlast the source's ack deadline is redelivered while it still runs when
// a heartbeat is lost; every action timeout must end before the deadline.
const timeoutsBelowAckDeadline = z.superRefine<{ source?: unknown; observers: unknown }>(
  (config, ctx) => {
    const deadline = ackDeadline(config.source);
    if (deadline === undefined) return;
    const observers = config.observers as Record<string, { actions?: unknown }>;
    for (const [name, observer] of Object.entries(observers)) {
      const actions = Array.isArray(observer.actions) ? (observer.actions as unknown[]) : [];
      for (const [index, action] of actions.entries()) {
        const timeout = (action as { timeout?: unknown } | null)?.timeout;
        if (timeout === undefined) continue;
        let ms: number;
        try {
          ms = parseDuration(timeout as DurationInput);
        } catch {
          continue;
        }
        if (ms < deadline.ms) continue;
        ctx.addIssue({
          code: 'custom',
          path: ['observers', name, 'actions', index, 'timeout'],
          input: timeout,
          message: `timeout ${ms}ms must be below the source's ${deadline.option} (${deadline.ms}ms), or the event may be delivered again while the action still runs: lower the timeout or raise source.${deadline.option}`,
        });
      }
    }
  },
);

function topLevelSchema<Action extends z.ZodType>(action: Action) {
  return z
    .strictObject({
      $schema: z.string().optional().meta({ description: 'JSON Schema reference for editors.' }),
      version: z.literal(1).default(1).meta({ description: 'Config format version.' }),
      source: sourceConfigSchema.optional(),
      redis: redisSchema.optional(),
      observers: z
        .record(
          z.string().meta({ pattern: OBSERVER_NAME.source }),
          createObserverConfigSchema(action),
        )
        .check(observerNames)
        .meta({ description: 'Observers by name.' }),
    })
    .check(timeoutsBelowAckDeadline)
    .meta({
      title: 'FraiseQL observers configuration',
      description: 'Observers that turn committed row changes into side effects.',
    });
}

/** Placeholders that document the action types other packages provide. */
const extensionPlaceholders = Object.entries(EXTENSION_ACTION_PACKAGES).map(([type, pkg]) =>
  z.looseObject({ type: z.literal(type) }).meta({
    title: type,
    description: `Provided by ${pkg}; its options are validated when that package is installed.`,
  }),
);

/**
 * The observers config schema: the source of the TypeScript types and of the published JSON
 * Schema. It knows the built-in action types; loading with an action registry also accepts the
 * types registered there (see {@link createObserversConfigSchema}).
 */
export const observersConfigSchema = topLevelSchema(builtinActionSchema);

/** The schema the published JSON Schema is generated from (built-ins plus placeholders). */
export const publishedObserversConfigSchema = topLevelSchema(
  z.discriminatedUnion('type', [...builtinActionSchema.options, ...extensionPlaceholders]),
);

/**
 * The published schema with the placeholders of `actions` replaced by their full schemas (an
 * action schema is a zod object whose `type` is a literal, as `register` takes it).
 */
export function extendedObserversConfigSchema(actions: readonly z.ZodType[]) {
  const typeOf = (schema: z.ZodType): unknown =>
    (schema as unknown as { shape?: { type?: { value?: unknown } } }).shape?.type?.value;
  const replaced = new Set(actions.map(typeOf));
  const options = [
    ...builtinActionSchema.options,
    ...extensionPlaceholders.filter((placeholder) => !replaced.has(typeOf(placeholder))),
    ...actions,
  ] as unknown as Parameters<typeof z.discriminatedUnion>[1];
  return topLevelSchema(z.discriminatedUnion('type', options));
}

/** An observers config as written in a file (before defaults). */
export type ObserversConfigInput = z.input<typeof observersConfigSchema>;

/** An observers config after schema validation, before environment variables are resolved. */
export type ParsedObserversConfig = z.output<typeof observersConfigSchema>;

/** One observer after schema validation, before environment variables are resolved. */
export type ParsedObserverConfig = ParsedObserversConfig['observers'][string];

/** An action of a type another package registered (`search`, `enqueue`). */
export interface ExtensionActionConfig {
  readonly type: string;
  /** Per-attempt timeout (milliseconds or `"30s"`), when the type has one. */
  readonly timeout?: DurationInput;
  /** Retry override, when the type has one. */
  readonly retry?: RetryConfig;
  readonly [key: string]: unknown;
}

/** One ready-to-run observer: validated, defaults applied, environment resolved. */
export type ObserverConfig = Readonly<Omit<ParsedObserverConfig, 'actions'>> & {
  readonly actions: readonly (ActionConfig | ExtensionActionConfig)[];
};

/** A ready-to-run observers config: validated, defaults applied, environment resolved. */
export interface ObserversConfig {
  readonly version: 1;
  readonly source?: ParsedObserversConfig['source'];
  /** Default Redis, with `urlEnv` resolved. */
  readonly redis?: { readonly url: string };
  readonly observers: Readonly<Record<string, ObserverConfig>>;
}

/**
 * The schema config loading validates with: built-in actions plus the types (and schemas) of
 * `registry`. An unregistered `search`/`enqueue` names the package that provides it; any other
 * unknown type lists the known ones.
 */
export function createObserversConfigSchema(registry?: ActionSchemaSource) {
  const known = new Set<string>([
    ...Object.keys(builtinActionSchemas),
    ...(registry?.knownTypes() ?? []),
  ]);
  const functionNames = registry?.functionNames?.();
  const action = z.unknown().transform((value, ctx) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      ctx.addIssue({
        code: 'custom',
        input: value,
        message: `expected an action object with a "type" (one of ${[...known].sort().join(', ')}), got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    const type = (value as { type?: unknown }).type;
    const schema = schemaOf(type, registry);
    if (schema === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['type'],
        input: type,
        message: unknownType(type, known),
      });
      return z.NEVER;
    }
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, path: issue.path });
      return z.NEVER;
    }
    const parsed = result.data as { type: string; name?: unknown };
    if (
      parsed.type === 'function' &&
      functionNames !== undefined &&
      !functionNames.includes(String(parsed.name))
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        input: parsed.name,
        message: `no function registered as ${JSON.stringify(parsed.name)} (registered: ${functionNames.length === 0 ? 'none' : functionNames.join(', ')}); call registry.registerFunction before loading the config`,
      });
      return z.NEVER;
    }
    return parsed as z.output<typeof builtinActionSchema>;
  });
  return topLevelSchema(action);
}

function schemaOf(type: unknown, registry: ActionSchemaSource | undefined): z.ZodType | undefined {
  if (typeof type !== 'string') return undefined;
  if (Object.hasOwn(builtinActionSchemas, type)) {
    return builtinActionSchemas[type as keyof typeof builtinActionSchemas];
  }
  if (registry?.knownTypes().includes(type) !== true) return undefined;
  return registry.schemaFor(type) ?? z.looseObject({ type: z.literal(type) });
}

function unknownType(type: unknown, known: ReadonlySet<string>): string {
  const list = [...known].sort().join(', ');
  if (type === undefined) return `missing action "type" (one of ${list})`;
  if (typeof type === 'string' && Object.hasOwn(EXTENSION_ACTION_PACKAGES, type)) {
    const pkg = EXTENSION_ACTION_PACKAGES[type] ?? '';
    return `action type "${type}" needs ${pkg}: npm install ${pkg}`;
  }
  return `unknown action type ${JSON.stringify(type)} (known: ${list})`;
}
