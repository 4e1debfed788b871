import { expect, it } from 'vitest';
import { runCli } from './run-cli.js';

// Imports the built package through its own exports map and runs the built binary, as a user
// would: this fails when dist/ is missing, the map or the bin points at the wrong file, or an
// export disappeared. Run `pnpm exec tsc -b` first.
it('@fraiseql/cli loads from dist and its bin prints help', async () => {
  const cli = await import('@fraiseql/cli');
  expect(import.meta.resolve('@fraiseql/cli')).toMatch(/\/packages\/cli\/dist\/index\.js$/);
  expect(cli.commands.map((command) => command.path.join(' '))).toContain('dlq retry-all');
  expect(cli.parsePrometheusText('x_total 2\n')[0]?.samples[0]?.value).toBe(2);
  const help = await runCli(['--help']);
  expect(help.code).toBe(0);
  expect(help.stdout).toContain('Usage: fraiseql <command>');
  // The linked bin (what `npx fraiseql` and `pnpm fraiseql` run) loads the built command.
  const pkg = (await import('@fraiseql/cli/package.json', { with: { type: 'json' } })).default;
  expect(pkg.bin.fraiseql).toBe('./bin/fraiseql.js');
  const version = await runCli(['--version'], { bin: '../bin/fraiseql.js' });
  expect(version).toMatchObject({ code: 0, stdout: `fraiseql ${pkg.version}\n` });
});
