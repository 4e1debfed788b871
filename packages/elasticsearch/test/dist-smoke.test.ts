import { expect, it } from 'vitest';

// Imports the built package through its own exports map (a self-reference by name), as a user
// would. Run `pnpm exec tsc -b` first.
it('@fraiseql/elasticsearch loads from dist through its exports map', async () => {
  const es = await import('@fraiseql/elasticsearch');
  expect(import.meta.resolve('@fraiseql/elasticsearch')).toMatch(
    /\/packages\/elasticsearch\/dist\/index\.js$/,
  );
  expect(es.monthlyIndexName('fraiseql-events', new Date('2026-01-31T23:59:59Z'))).toBe(
    'fraiseql-events-2026.01',
  );
  expect(es.isElasticsearchError(new es.ElasticsearchError('CLOSED', 'x'), 'CLOSED')).toBe(true);
  expect(es.searchActionSchema.parse({ type: 'search', index: 'orders' }).routing).toBe('none');
  expect(typeof es.createElasticsearchEventSink).toBe('function');
});
