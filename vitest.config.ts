import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// One project pair per workspace package: `<name>:unit` (src/**/*.test.ts and
// test/in-process/**/*.test.ts, no services) and
// `<name>:integration` (test/**/*.test.ts, real services found by @fraiseql/testing).
const packageDirs = ['packages', 'apps'].flatMap((group) =>
  existsSync(group)
    ? readdirSync(group)
        .map((name) => join(group, name))
        .filter((dir) => existsSync(join(dir, 'package.json')))
    : [],
);

export default defineConfig({
  test: {
    // Most suites wait on services and child processes rather than compute, so three files at
    // a time keep two cores busy (Vitest's default is one fewer worker than cores: serial here).
    maxWorkers: 3,
    projects: packageDirs.flatMap((dir) => {
      const name = dir.split('/').at(-1) ?? dir;
      return [
        {
          test: {
            name: `${name}:unit`,
            root: dir,
            // `test/in-process/` holds suites that need no service but an engine embedded in
            // the test process (ClickHouse through chdb).
            include: ['src/**/*.test.ts', 'test/in-process/**/*.test.ts'],
            testTimeout: 10_000,
          },
        },
        {
          test: {
            name: `${name}:integration`,
            root: dir,
            include: ['test/**/*.test.ts'],
            exclude: [...configDefaults.exclude, 'test/in-process/**'],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ];
    }),
  },
});
