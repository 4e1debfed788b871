import type { Command, OptionSpec } from '../command.js';
import {
  ELASTICSEARCH_OPTIONS,
  paramsOf,
  withElasticsearch,
} from '../context/open-elasticsearch.js';
import { CliError } from '../errors.js';
import { print } from '../output/print.js';
import { formatHits, formatRows } from './elasticsearch-output.js';

const QUERIES = 'histogram, top-entities, active-tenants or search';

/** Filter options shared with `fraiseql search`, → request parameter names. */
export const FILTER_PARAMS: Readonly<Record<string, string>> = {
  from: 'from',
  to: 'to',
  tenant: 'tenantId',
  'entity-type': 'entityType',
  'event-type': 'eventType',
  'entity-id': 'entityId',
  size: 'size',
};

/** The filter options. */
export const FILTER_OPTIONS = {
  from: {
    type: 'string',
    value: 'when',
    description: 'commit time from: ISO-8601 or a duration back from now (24h)',
  },
  to: { type: 'string', value: 'when', description: 'commit time before (ISO-8601 or 1h)' },
  tenant: { type: 'string', value: 'id', description: 'only this tenant' },
  'entity-type': { type: 'string', value: 'types', description: 'entity types, comma-separated' },
  'event-type': {
    type: 'string',
    value: 'kinds',
    description: 'INSERT, UPDATE, DELETE, CUSTOM, comma-separated',
  },
  'entity-id': { type: 'string', value: 'id', description: 'only this entity' },
  size: { type: 'string', value: 'n', description: 'most buckets, entities, tenants or hits' },
} as const satisfies Record<string, OptionSpec>;

/** `fraiseql analytics elasticsearch <query>`: histograms, top entities, tenants, search. */
export const analyticsElasticsearchCommand: Command = {
  path: ['analytics', 'elasticsearch'],
  summary: 'analytics and search over the Elasticsearch event history',
  details: `Queries: ${QUERIES}. They read the monthly indices the event-history sink writes.`,
  args: [{ name: 'query', description: QUERIES }],
  options: {
    ...ELASTICSEARCH_OPTIONS,
    ...FILTER_OPTIONS,
    interval: {
      type: 'string',
      value: 'interval',
      description: 'histogram bucket: 5m, 1h, 1d, week, month (default 1h)',
    },
    by: {
      type: 'string',
      value: 'field',
      description: 'histogram split: event_type or entity_type',
    },
    text: { type: 'string', value: 'words', description: 'search: full-text query' },
    offset: { type: 'string', value: 'n', description: 'search: hits to skip' },
  },
  examples: [
    'fraiseql analytics elasticsearch histogram --from 24h --interval 1h --by entity_type',
    'fraiseql analytics elasticsearch top-entities --tenant acme --json',
    'fraiseql analytics elasticsearch search --text lovelace --event-type UPDATE',
  ],
  async run(context) {
    const query = context.positionals[0] ?? '';
    if (!['histogram', 'top-entities', 'active-tenants', 'search'].includes(query)) {
      throw new CliError('USAGE', `unknown query ${JSON.stringify(query)}: expected ${QUERIES}`);
    }
    const params = paramsOf(context, {
      ...FILTER_PARAMS,
      interval: 'interval',
      by: 'by',
      text: 'text',
      offset: 'offset',
    });
    return withElasticsearch(context, 'fraiseql analytics elasticsearch', async (es, target) => {
      const result = await es.runElasticsearchAnalyticsRequest(target, query, params);
      print(context, { kind: query, result }, () =>
        query === 'search' ? formatHits(result) : formatRows(result),
      );
      return 0;
    });
  },
};
