import { requireService } from '@fraiseql/testing';
import { createHttpConnection } from '@fraiseql/clickhouse';
import { engineSuite } from './support/engine-suite.js';

const clickhouse = await requireService('clickhouse');

// The same behaviour over HTTP against the ClickHouse server found or started by the test kit
// (Debian's 18.16 here and in CI: the fallback DDL without DateTime64, LowCardinality or tokens).
engineSuite(
  `ClickHouse server over HTTP (${clickhouse?.url ?? 'unavailable'})`,
  () =>
    Promise.resolve(
      clickhouse === undefined ? undefined : createHttpConnection({ url: clickhouse.url }),
    ),
  false,
);
