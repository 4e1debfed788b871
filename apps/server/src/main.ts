#!/usr/bin/env node
import { pino } from 'pino';
import { startServer } from './fraiseql-server.js';
import { loadServerSettings } from './server-settings.js';

const settings = loadServerSettings(process.env);
const logger = pino({ level: settings.logLevel, base: null });

const server = await startServer(settings, logger).catch((error: unknown) => {
  logger.fatal({ err: error }, 'server failed to start');
  process.exit(1);
});

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) {
    logger.warn({ signal }, 'second signal: exiting now');
    process.exit(1);
  }
  stopping = true;
  logger.info({ signal }, 'shutting down');
  server.close().then(
    () => {
      logger.info('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      logger.error({ err: error }, 'shutdown failed');
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
