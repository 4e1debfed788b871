#!/usr/bin/env node
import { createLogger } from './create-logger.js';
import { startServer } from './fraiseql-server.js';
import { loadServerSettings, type ServerSettings } from './server-settings.js';
import { startupProblem } from './startup-problem.js';

/** Exit codes: 0 stopped cleanly, 1 failed, 128 + signal number after a second signal. */
const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

let settings: ServerSettings;
try {
  settings = loadServerSettings(process.env);
} catch (error) {
  process.stderr.write(`fraiseql-server: ${(error as Error).message}\n`);
  process.exit(1);
}
const logger = createLogger(settings.logLevel);

const server = await startServer(settings, logger).catch((error: unknown) => {
  const problem = startupProblem(error, settings);
  if (problem === undefined) logger.fatal({ err: error }, 'server failed to start');
  else logger.fatal(problem);
  logger.flush();
  // Let an asynchronous log transport write the line before exiting.
  setTimeout(() => process.exit(1), 100);
  return undefined;
});

if (server?.generatedAdminToken !== undefined) {
  // Shown once, outside the structured log: the file (mode 0600) keeps it.
  process.stderr.write(
    `\nAdmin API token (stored in ${server.generatedAdminToken.path}):\n  ${server.generatedAdminToken.token}\nSend it as: Authorization: Bearer <token>\n\n`,
  );
}

let stopping = false;
const stop = (signal: keyof typeof SIGNAL_EXIT): void => {
  if (server === undefined) return;
  if (stopping) {
    logger.warn(
      { signal, exitCode: SIGNAL_EXIT[signal] },
      `second ${signal}: exiting now without waiting for in-flight actions (they run again on the next start)`,
    );
    logger.flush();
    process.exit(SIGNAL_EXIT[signal]);
  }
  stopping = true;
  logger.info(
    { signal },
    'shutting down: draining in-flight actions (send the signal again to exit now)',
  );
  server.close().then(
    () => {
      logger.info('stopped');
      logger.flush();
      process.exitCode = 0;
      setTimeout(() => process.exit(0), 100);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
      logger.flush();
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => {
  stop('SIGINT');
});
process.on('SIGTERM', () => {
  stop('SIGTERM');
});
