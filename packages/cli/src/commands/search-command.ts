import type { Command } from '../command.js';
import {
  ELASTICSEARCH_OPTIONS,
  paramsOf,
  withElasticsearch,
} from '../context/open-elasticsearch.js';
import { print } from '../output/print.js';
import { FILTER_OPTIONS, FILTER_PARAMS } from './analytics-elasticsearch-command.js';
import { formatHits } from './elasticsearch-output.js';

/** `fraiseql search <text>`: full-text search over the Elasticsearch event history. */
export const searchCommand: Command = {
  path: ['search'],
  summary: 'full-text search over the event history in Elasticsearch',
  details:
    'Best match first, with highlights; filters narrow it down. Reads the indices of the event-history sink.',
  args: [{ name: 'text', description: 'words to find in the event data', variadic: true }],
  options: {
    ...ELASTICSEARCH_OPTIONS,
    ...FILTER_OPTIONS,
    offset: { type: 'string', value: 'n', description: 'hits to skip' },
  },
  examples: [
    'fraiseql search lovelace',
    'fraiseql search "ada lovelace" --tenant acme --entity-type Customer --json',
  ],
  async run(context) {
    const params = {
      ...paramsOf(context, { ...FILTER_PARAMS, offset: 'offset' }),
      text: context.positionals.join(' '),
    };
    return withElasticsearch(context, 'fraiseql search', async (es, target) => {
      const result = await es.runElasticsearchAnalyticsRequest(target, 'search', params);
      print(context, result, () => formatHits(result));
      return 0;
    });
  },
};
