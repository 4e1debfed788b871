import { expect, it } from 'vitest';

// Imports the built package through its own exports map, as a user would. Run `pnpm exec tsc -b` first.
it('@fraiseql/clickhouse loads from dist through its exports map', async () => {
  const clickhouse = await import('@fraiseql/clickhouse');
  expect(import.meta.resolve('@fraiseql/clickhouse')).toMatch(
    /\/packages\/clickhouse\/dist\/index\.js$/,
  );
  expect(
    clickhouse.isClickHouseError(new clickhouse.ClickHouseError('CLOSED', 'x'), 'CLOSED'),
  ).toBe(true);
  expect(clickhouse.parseClickHouseSinkConfig({}).batch.maxRows).toBe(10_000);
  expect(clickhouse.capabilitiesOf('18.16.1').dateTime64).toBe(false);
  expect(typeof clickhouse.createClickHouseSink).toBe('function');
});
