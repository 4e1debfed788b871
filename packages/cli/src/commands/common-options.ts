import type { OptionSpec } from '../command.js';

/** `--database`: the PostgreSQL URL, with `DATABASE_URL` as fallback. */
export const DATABASE_OPTION = {
  database: {
    type: 'string',
    value: 'url',
    description: 'PostgreSQL URL (default: DATABASE_URL)',
  },
} as const satisfies Record<string, OptionSpec>;

/** `--config` / `-c`: the observers config file. */
export const CONFIG_OPTION = {
  config: {
    type: 'string',
    short: 'c',
    value: 'file',
    description: 'observers config file, YAML, TOML or JSON (default: ./fraiseql.config.yaml)',
  },
} as const satisfies Record<string, OptionSpec>;
