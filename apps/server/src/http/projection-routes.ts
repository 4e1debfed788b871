import type { SqlClient } from '@fraiseql/core';
import { checkProjection, isDdlGenError, listProjections } from '@fraiseql/ddl-gen';
import { HttpError, type Route } from './http-server.js';

/**
 * The projections `@fraiseql/ddl-gen` generated and registered (`GET /admin/projections`: row
 * counts, last full refresh, last change, staleness, read from `projection_status()`), and the
 * divergence check of one on demand (`POST /admin/projections/:name/check`, `:name` as
 * `schema.table`). The check changes nothing, so a read-only token may run it; it is a POST
 * because it reads the whole projection and its source view, which no prefetch or crawler should
 * trigger.
 */
export function projectionRoutes(db: SqlClient): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/admin/projections',
      handler: async () => ({ status: 200, body: await listProjections(db) }),
    },
    {
      method: 'POST',
      pattern: '/admin/projections/:name/check',
      readsOnly: true,
      handler: async ({ params }) => {
        const name = params.name ?? '';
        try {
          return { status: 200, body: await checkProjection(db, name) };
        } catch (error) {
          if (isDdlGenError(error, 'UNKNOWN_PROJECTION')) throw new HttpError(404, error.message);
          if (isDdlGenError(error, 'CHECK_TIMEOUT')) throw new HttpError(504, error.message);
          throw error;
        }
      },
    },
  ];
}
