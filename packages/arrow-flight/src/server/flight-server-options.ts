import { z } from 'zod';

const secret = z.union([z.string().min(32), z.instanceof(Uint8Array)]);

/** Configuration of the Flight server, as data (validated with {@link parseFlightServerOptions}). */
export const flightServerOptionsSchema = z.object({
  /**
   * Address to bind. Binding beyond loopback requires `auth`.
   * @defaultValue '127.0.0.1'
   */
  host: z.string().min(1).default('127.0.0.1'),
  /**
   * Port; 0 picks a free one.
   * @defaultValue 50051
   */
  port: z.number().int().min(0).max(65535).default(50051),
  auth: z
    .object({
      users: z
        .array(
          z.object({
            username: z.string().min(1),
            password: z.string().min(1),
            roles: z.array(z.string()).default([]),
            tenant: z.string().optional(),
          }),
        )
        .default([]),
      apiKeys: z
        .array(
          z.object({
            name: z.string().min(1),
            key: z.string().min(16),
            roles: z.array(z.string()).default([]),
            tenant: z.string().optional(),
          }),
        )
        .default([]),
      tokenSecret: secret.optional(),
      /** @defaultValue 900 */
      tokenTtlSeconds: z.number().int().positive().default(900),
    })
    .optional(),
  tickets: z
    .object({
      secret: secret.optional(),
      /** @defaultValue 300 */
      ttlSeconds: z.number().int().positive().default(300),
    })
    .default({ ttlSeconds: 300 }),
  batch: z
    .object({
      /** @defaultValue 65536 */
      rows: z.number().int().positive().default(65_536),
      /**
       * Approximate bytes per record batch (one FlightData message). Messages of a few hundred
       * KiB stream faster over gRPC than multi-MiB ones (docs/benchmarks.md).
       * @defaultValue 512 KiB
       */
      bytes: z
        .number()
        .int()
        .positive()
        .default(512 * 1024),
    })
    .default({ rows: 65_536, bytes: 512 * 1024 }),
  limits: z
    .object({
      /** @defaultValue 64 */
      maxStreams: z.number().int().positive().default(64),
      /** @defaultValue 8 */
      maxStreamsPerClient: z.number().int().positive().default(8),
      /** Largest gRPC message sent or received. @defaultValue 64 MiB */
      maxMessageBytes: z
        .number()
        .int()
        .positive()
        .default(64 * 1024 * 1024),
      /** Statement timeout of database reads, ms (0 = none). @defaultValue 60000 */
      statementTimeoutMs: z.number().int().min(0).default(60_000),
    })
    .default({
      maxStreams: 64,
      maxStreamsPerClient: 8,
      maxMessageBytes: 64 * 1024 * 1024,
      statementTimeoutMs: 60_000,
    }),
});

/** Flight server options as written (defaults optional). */
export type FlightServerConfigInput = z.input<typeof flightServerOptionsSchema>;
/** Flight server options after defaults. */
export type FlightServerConfig = z.output<typeof flightServerOptionsSchema>;

/**
 * Validates Flight server options and fills in defaults.
 * @throws {z.ZodError} naming the path of each problem.
 */
export function parseFlightServerOptions(input: FlightServerConfigInput = {}): FlightServerConfig {
  return flightServerOptionsSchema.parse(input);
}

/** The JSON Schema (draft 2020-12) of the Flight server options. */
export function flightServerJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(flightServerOptionsSchema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  });
}
