import {
  createTestDatabase,
  createTestPGlite,
  requireService,
  type TestPGlite,
} from '@fraiseql/testing';
import pg from 'pg';

import { pgClient, pgliteClient, type SqlClient } from '../src/index.js';

/** A database opened for one test, on one of the backends the suites run against. */
export interface OpenDatabase extends AsyncDisposable {
  readonly db: SqlClient;
  /** A second, independent client on the same database (another pool for PostgreSQL). */
  connectAnother(): SqlClient;
  /** Connection URL, for child processes (PostgreSQL only). */
  readonly url: string | undefined;
  close(): Promise<void>;
}

/** A database engine the shared suites run on. */
export interface Backend {
  readonly name: 'postgres' | 'pglite';
  /** False when no PostgreSQL server is reachable outside CI (requireService printed why). */
  readonly available: boolean;
  open(): Promise<OpenDatabase>;
}

const postgres = await requireService('postgres');
let template: Promise<TestPGlite> | undefined;

/** PostgreSQL (the running server, a fresh database per `open()`) and PGlite (in memory). */
export const BACKENDS: readonly Backend[] = [
  {
    name: 'postgres',
    available: postgres !== undefined,
    async open() {
      const database = await createTestDatabase(postgres);
      const clients: SqlClient[] = [];
      const connect = (): SqlClient => {
        const pool = new pg.Pool({ connectionString: database.url, max: 4 });
        // A pool that loses a connection when the database is dropped must not crash the run.
        pool.on('error', () => undefined);
        const client = pgClient(pool, { ownsPool: true });
        clients.push(client);
        return client;
      };
      const db = connect();
      const close = async (): Promise<void> => {
        await Promise.all(clients.map((client) => client.close()));
        await database.close();
      };
      return {
        db,
        connectAnother: connect,
        url: database.url,
        close,
        [Symbol.asyncDispose]: close,
      };
    },
  },
  {
    name: 'pglite',
    available: true,
    async open() {
      // Cloning an initialised PGlite is several times faster than creating one.
      template ??= createTestPGlite();
      const lite = await (await template).db.clone();
      const db = pgliteClient(lite);
      const close = (): Promise<void> => (lite.closed ? Promise.resolve() : lite.close());
      return {
        db,
        // PGlite is one connection; a second client shares it (its queries are serialised).
        connectAnother: () => pgliteClient(lite),
        url: undefined,
        close,
        [Symbol.asyncDispose]: close,
      };
    },
  },
];

/** Closes what {@link BACKENDS} keeps between tests of one file (call in `afterAll`). */
export async function closeBackends(): Promise<void> {
  const pending = template;
  template = undefined;
  if (pending !== undefined) await (await pending).close();
}
