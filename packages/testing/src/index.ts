export { TestingError, isTestingError, type TestingErrorCode } from './errors.js';
export {
  ENV_VARS,
  HOW_TO_START,
  LOOPBACK_URLS,
  type ServiceHandle,
  type ServiceKind,
} from './services/service-kind.js';
export { isCI } from './services/is-ci.js';
export { freePort } from './services/free-port.js';
export { probeService, type ProbeOptions } from './services/probe-service.js';
export { redactUrl } from './services/redact-url.js';
export { requireService } from './services/require-service.js';
export {
  startService,
  type StartServiceOptions,
  type StartedService,
} from './services/start-service.js';
export { uniqueName } from './fixtures/unique-name.js';
export { waitFor, type WaitForOptions } from './fixtures/wait-for.js';
export { createTempDir, type TempDir } from './fixtures/temp-dir.js';
export { createTestDatabase, type TestDatabase } from './fixtures/test-database.js';
export {
  createTestPGlite,
  type TestPGlite,
  type TestPGliteOptions,
} from './fixtures/test-pglite.js';
export { createRedisPrefix, type RedisPrefix } from './fixtures/redis-prefix.js';
export {
  createTestStream,
  createTestStreamName,
  deleteStream,
  type TestStream,
} from './fixtures/test-stream.js';
export {
  spawnNode,
  type ExitResult,
  type SpawnNodeOptions,
  type SpawnedNode,
} from './process/spawn-node.js';
