export { run, commandHelp, type RunOptions } from './run.js';
export {
  OptionValueError,
  type ArgumentSpec,
  type Command,
  type CommandContext,
  type OptionSpec,
  type OptionValue,
  type OptionValues,
} from './command.js';
export { commandGroups, commands } from './commands/commands.js';
export { CliError, exitCodeOf, isCliError, type CliErrorCode } from './errors.js';
export { processTerminal, type Terminal } from './output/terminal.js';
export {
  parsePrometheusText,
  type MetricFamily,
  type MetricSample,
} from './metrics/parse-prometheus-text.js';
