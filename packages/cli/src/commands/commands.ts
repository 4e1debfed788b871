import type { Command } from '../command.js';
import { analyticsClickHouseCommand } from './analytics-clickhouse-command.js';
import { analyticsElasticsearchCommand } from './analytics-elasticsearch-command.js';
import { captureCommands } from './capture-commands.js';
import { dlqCommands } from './dlq-commands.js';
import { flightCommands } from './flight-commands.js';
import { generateViewsCommand } from './generate-views-command.js';
import { initCommand } from './init-command.js';
import { metricsCommand } from './metrics-command.js';
import { migrateCommand } from './migrate-command.js';
import { observersDebugEventCommand } from './observers-debug-event-command.js';
import { observersListCommand } from './observers-list-command.js';
import { observersLogsCommand } from './observers-logs-command.js';
import { observersReplayCommand } from './observers-replay-command.js';
import { observersStatusCommand } from './observers-status-command.js';
import { observersValidateConfigCommand } from './observers-validate-config-command.js';
import { queueCommands } from './queue-commands.js';
import { searchCommand } from './search-command.js';

/**
 * What each command group is for, by its words (`fraiseql dlq --help` shows it). A command whose
 * path starts with a group not listed here still works; add a line for its help.
 */
export const commandGroups: Readonly<Record<string, string>> = {
  capture: 'which tables write their changes to the change log',
  observers: 'check, list, inspect, debug and replay the observers of a config',
  dlq: 'the observer dead-letter queue in PostgreSQL',
  queue: 'the job queue in Redis',
  'queue dlq': 'dead-lettered jobs of the job queue',
  flight: 'datasets and the event stream of an Arrow Flight server',
  analytics: 'analytics over the events the ClickHouse and Elasticsearch sinks store',
};

/** Every `fraiseql` command, in help order. */
export const commands: readonly Command[] = [
  initCommand,
  migrateCommand,
  ...captureCommands,
  generateViewsCommand,
  observersValidateConfigCommand,
  observersListCommand,
  observersStatusCommand,
  observersDebugEventCommand,
  observersReplayCommand,
  observersLogsCommand,
  ...dlqCommands,
  ...queueCommands,
  ...flightCommands,
  analyticsClickHouseCommand,
  analyticsElasticsearchCommand,
  searchCommand,
  metricsCommand,
];
