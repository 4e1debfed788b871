import type * as ElasticsearchPackage from '@fraiseql/elasticsearch';
import type { CommandContext, OptionSpec } from '../command.js';
import { CliError } from '../errors.js';
import { importOptional } from './import-optional.js';

/** The `@fraiseql/elasticsearch` module. */
export type ElasticsearchModule = typeof ElasticsearchPackage;

/** `--url`, `--api-key`, `--index-prefix`: where the event history is. */
export const ELASTICSEARCH_OPTIONS = {
  url: {
    type: 'string',
    value: 'url',
    description: 'Elasticsearch server (default: ELASTICSEARCH_URL, then http://127.0.0.1:9200)',
  },
  'api-key': {
    type: 'string',
    value: 'key',
    description: 'API key (default: ELASTICSEARCH_API_KEY)',
  },
  'index-prefix': {
    type: 'string',
    value: 'prefix',
    description:
      'event-history indices <prefix>-YYYY.MM (default: ELASTICSEARCH_INDEX_PREFIX, then fraiseql-events)',
  },
} as const satisfies Record<string, OptionSpec>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Runs `use` with a connection to the Elasticsearch of `--url` / `ELASTICSEARCH_URL` and the
 * event-history layout; maps bad input to a usage error and an unreachable server to
 * `SERVICE_UNREACHABLE`.
 */
export async function withElasticsearch<T>(
  context: CommandContext,
  usedBy: string,
  use: (es: ElasticsearchModule, target: ElasticsearchPackage.EventQueryTarget) => Promise<T>,
): Promise<T> {
  const es = await importOptional(
    () => import('@fraiseql/elasticsearch'),
    '@fraiseql/elasticsearch',
    usedBy,
  );
  const url =
    text(context.values.url) ?? text(context.env.ELASTICSEARCH_URL) ?? 'http://127.0.0.1:9200';
  const apiKey = text(context.values['api-key']) ?? text(context.env.ELASTICSEARCH_API_KEY);
  const prefix =
    text(context.values['index-prefix']) ??
    text(context.env.ELASTICSEARCH_INDEX_PREFIX) ??
    'fraiseql-events';
  let connection: ElasticsearchPackage.ElasticsearchConnection | undefined;
  try {
    const layout = es.eventIndexLayout(prefix, 'monthly');
    connection = es.createElasticsearchConnection({
      node: url,
      ...(apiKey === undefined ? {} : { auth: { apiKey } }),
      requestTimeout: '30s',
    });
    return await use(es, { connection, layout, signal: context.signal });
  } catch (error) {
    if (error instanceof CliError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    if (es.isElasticsearchError(error, 'INVALID_ARGUMENT')) {
      throw new CliError('USAGE', message, { cause: error });
    }
    if (es.isElasticsearchError(error, 'CLIENT_MISSING')) {
      throw new CliError('DEPENDENCY_MISSING', `${usedBy}: ${message}`, { cause: error });
    }
    if (
      es.isElasticsearchError(error, 'UNAVAILABLE') ||
      es.isElasticsearchError(error, 'TIMEOUT')
    ) {
      throw new CliError(
        'SERVICE_UNREACHABLE',
        `cannot reach Elasticsearch at ${es.isElasticsearchError(error) ? redact(url) : url}: ${message} (check it runs, or pass --url)`,
        { cause: error },
      );
    }
    throw new CliError('FAILED', message, { cause: error });
  } finally {
    await connection?.close();
  }
}

function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '<invalid url>';
  }
}

/** Text parameters from options, by option name → request parameter name. */
export function paramsOf(
  context: CommandContext,
  names: Readonly<Record<string, string>>,
): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [option, param] of Object.entries(names)) {
    const value = text(context.values[option]);
    if (value !== undefined) params[param] = value;
  }
  return params;
}
