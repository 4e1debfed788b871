import { engineSuite } from '../support/engine-suite.js';
import { createChdbConnection } from '../support/chdb-connection.js';

// The modern path (DateTime64, LowCardinality, dedup tokens, skip index) on a current
// ClickHouse engine embedded in this process by the chdb package: no server to start.
engineSuite('modern ClickHouse engine (chdb, in-process)', createChdbConnection, true);
