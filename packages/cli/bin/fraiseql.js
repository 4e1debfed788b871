#!/usr/bin/env node
// The `fraiseql` command. It lives outside dist/ so that package managers can link it before the
// package is built (in the repository, `pnpm install` runs before `pnpm build`).
import process from 'node:process';

try {
  await import('../dist/bin/fraiseql.js');
} catch (error) {
  const code = /** @type {{ code?: unknown } | undefined} */ (error)?.code;
  if (code === 'ERR_MODULE_NOT_FOUND' && String(error).includes('dist/bin/fraiseql.js')) {
    process.stderr.write(
      'error: @fraiseql/cli is not built: run `pnpm build` (or `pnpm start`) at the repository root first\n',
    );
    process.exit(1);
  }
  throw error;
}
