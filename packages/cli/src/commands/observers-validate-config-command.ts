import { formatConfigIssue } from '@fraiseql/observers';
import type { Command } from '../command.js';
import { CONFIG_OPTION } from './common-options.js';
import { checkConfig } from '../context/load-config.js';
import { print } from '../output/print.js';
import { styles } from '../output/terminal.js';

/** `fraiseql observers validate-config`: checks the config and lists every issue. */
export const observersValidateConfigCommand: Command = {
  path: ['observers', 'validate-config'],
  summary: 'check the observers config (every issue, with its path and line)',
  options: CONFIG_OPTION,
  examples: [
    'fraiseql observers validate-config',
    'fraiseql observers validate-config --config observers.toml --json',
  ],
  async run(context) {
    const loaded = await checkConfig(context);
    const paint = styles(context.terminal.color);
    if (loaded.ok) {
      const names = Object.keys(loaded.config.observers);
      print(
        context,
        { valid: true, file: loaded.path, observers: names },
        () =>
          `${paint.green('valid')} ${loaded.path}: ${String(names.length)} observer(s) ${names.join(', ')}\n`,
      );
      return 0;
    }
    print(context, { valid: false, file: loaded.path, issues: loaded.issues }, () =>
      [
        `${paint.red('invalid')} ${loaded.path}: ${String(loaded.issues.length)} issue(s)`,
        ...loaded.issues.map((issue) => `  ${formatConfigIssue(issue)}`),
        '',
      ].join('\n'),
    );
    return 1;
  },
};
