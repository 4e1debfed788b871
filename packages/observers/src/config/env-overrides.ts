/** One `FRAISEQL_*` variable applied to a config. */
export interface EnvOverride {
  /** The variable name. */
  readonly env: string;
  /** The config path it set. */
  readonly path: readonly string[];
}

/** Options of {@link applyEnvOverrides}. */
export interface EnvOverrideOptions {
  /** @defaultValue `'FRAISEQL_'` */
  readonly prefix?: string | undefined;
  /** Top-level keys a variable may set; others (`FRAISEQL_HTTP_PORT`) are left to the app. */
  readonly roots: readonly string[];
}

/**
 * Applies `FRAISEQL_*` overrides to a config value (a copy; the input is not changed).
 *
 * Rule: after the prefix, `__` separates nesting levels and each level names a key: a key
 * already in the file is matched case-insensitively (so `ORDER_SHIPPED` finds
 * `order_shipped`), otherwise the level becomes camelCase (`POLL_INTERVAL` → `pollInterval`).
 * Values are read as JSON when they parse (`5`, `true`, `["INSERT"]`, `"007"`), else as text.
 * Only variables whose first level is one of `roots` apply.
 *
 * @example FRAISEQL_SOURCE__KIND=nats sets source.kind; FRAISEQL_OBSERVERS__AUDIT__ENABLED=false
 */
export function applyEnvOverrides(
  value: unknown,
  env: Readonly<Record<string, string | undefined>>,
  options: EnvOverrideOptions,
): { value: unknown; applied: EnvOverride[] } {
  const prefix = options.prefix ?? 'FRAISEQL_';
  const names = Object.keys(env)
    .filter((name) => name.startsWith(prefix) && env[name] !== undefined)
    .sort();
  let root: unknown = value;
  const applied: EnvOverride[] = [];
  for (const name of names) {
    const levels = name.slice(prefix.length).split('__');
    if (levels.some((level) => level === '')) continue;
    const first = keyFor(undefined, levels[0] ?? '');
    if (!options.roots.includes(first)) continue;
    if (applied.length === 0) root = isRecord(value) ? structuredClone(value) : {};
    const path: string[] = [];
    let target = root as Record<string, unknown>;
    levels.forEach((level, index) => {
      const key = keyFor(target, level);
      path.push(key);
      if (index === levels.length - 1) {
        target[key] = parseEnvValue(env[name] ?? '');
        return;
      }
      const next = target[key];
      if (!isRecord(next)) target[key] = {};
      target = target[key] as Record<string, unknown>;
    });
    applied.push({ env: name, path });
  }
  return { value: root, applied };
}

function keyFor(target: Record<string, unknown> | undefined, level: string): string {
  const camel = level
    .toLowerCase()
    .replace(/_([a-z0-9])/g, (_, char: string) => char.toUpperCase());
  if (target !== undefined) {
    const existing = Object.keys(target).find(
      (key) => key.toLowerCase() === level.toLowerCase() || key === camel,
    );
    if (existing !== undefined) return existing;
  }
  return camel;
}

function parseEnvValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
