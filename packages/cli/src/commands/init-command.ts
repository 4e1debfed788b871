import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { DEFAULT_CONFIG_FILE } from '../context/load-config.js';
import { CliError } from '../errors.js';
import { print } from '../output/print.js';

const CONFIG = `# FraiseQL observers: what to run when rows change.
# Validate with \`fraiseql observers validate-config\`; reference: docs/guides/cli.md
version: 1
source:
  kind: change-log
observers:
  order-shipped:
    entity: Order
    events: [UPDATE]
    condition: "field_changed_to('status', 'shipped')"
    actions:
      - type: webhook
        url: https://example.com/hooks/order-shipped
        body:
          order: "{{ entityId }}"
          total: "{{ data.total }}"
    retry:
      strategy: exponential
      maxAttempts: 5
    onFailure: dlq
`;

const MIGRATION = `-- Your own schema changes, applied in number order by \`fraiseql migrate\`
-- after the FraiseQL change log and observer tables.
CREATE TABLE IF NOT EXISTS public.tb_order (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status text NOT NULL DEFAULT 'new',
    total numeric NOT NULL DEFAULT 0
);
`;

/** `fraiseql init`: writes a config with an example observer and a migrations folder. */
export const initCommand: Command = {
  path: ['init'],
  summary: 'scaffold fraiseql.config.yaml and a migrations folder with an example',
  args: [{ name: 'dir', required: false, description: 'where to write the files (default: here)' }],
  options: { force: { type: 'boolean', description: 'overwrite existing files' } },
  examples: ['fraiseql init', 'fraiseql init ./my-service --force'],
  async run(context) {
    const dir = resolve(context.cwd, context.positionals[0] ?? '.');
    const files = [
      { path: join(dir, DEFAULT_CONFIG_FILE), text: CONFIG },
      { path: join(dir, 'migrations', '0001_example_order.sql'), text: MIGRATION },
    ];
    await mkdir(join(dir, 'migrations'), { recursive: true });
    for (const file of files) {
      try {
        await writeFile(file.path, file.text, { flag: context.values.force === true ? 'w' : 'wx' });
      } catch (cause) {
        if ((cause as { code?: unknown }).code === 'EEXIST') {
          throw new CliError('FAILED', `${file.path} exists; pass --force to overwrite it`, {
            cause,
          });
        }
        throw cause;
      }
    }
    print(context, { created: files.map((file) => file.path) }, () =>
      [
        ...files.map((file) => `created ${file.path}`),
        '',
        'Next:',
        '  fraiseql observers validate-config',
        '  DATABASE_URL=postgres://… fraiseql migrate          # the change log and tb_order',
        '  DATABASE_URL=postgres://… fraiseql capture add tb_order   # its changes become events',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
