import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { coreMigrations, connectDatabase, migrate, type SqlClient } from '@fraiseql/core';
import { createTestDatabase, requireService, waitFor, type TestDatabase } from '@fraiseql/testing';
import type { RecordBatch } from 'apache-arrow';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  commandDescriptor,
  createEventsHandler,
  decodeEventMetadata,
  FlightClient,
  isFlightError,
  readEvents,
  startFlightServer,
  type FlightServer,
} from '@fraiseql/arrow-flight';

const postgres = await requireService('postgres');
const CHILD = fileURLToPath(new URL('./fixtures/tail-events-child.mjs', import.meta.url));

const INSERT = `INSERT INTO core.tb_entity_change_log
  (object_type, object_id, modification_type, object_data, tenant_id)
  VALUES ($1, $2, $3, $4::jsonb, $5) RETURNING pk_entity_change_log::text AS pk`;

describe.skipIf(postgres === undefined)('events stream from the change log', () => {
  let database: TestDatabase;
  let db: SqlClient;
  let server: FlightServer;
  let handler: ReturnType<typeof createEventsHandler>;
  const writers: pg.Client[] = [];

  const writer = async (): Promise<pg.Client> => {
    const client = new pg.Client({ connectionString: database.url });
    client.on('error', () => undefined);
    await client.connect();
    writers.push(client);
    return client;
  };
  const write = async (
    client: { query(text: string, values: unknown[]): Promise<{ rows: unknown[] }> },
    entity: string,
    id: string,
    kind = 'INSERT',
    tenant: string | null = null,
  ): Promise<bigint> => {
    const result = await client.query(INSERT, [entity, id, kind, JSON.stringify({ id }), tenant]);
    return BigInt((result.rows[0] as { pk: string }).pk);
  };
  const seqsOf = (batch: RecordBatch): bigint[] =>
    Array.from((batch.getChild('seq')?.toArray() ?? []) as ArrayLike<bigint>);

  beforeAll(async () => {
    database = await createTestDatabase(postgres);
    db = await connectDatabase({ url: database.url });
    await migrate(db, { sets: [coreMigrations] });
    handler = createEventsHandler({ db, pollIntervalMs: 60_000 });
    server = await startFlightServer({ port: 0, handlers: [handler] });
  });

  afterAll(async () => {
    for (const client of writers) await client.end().catch(() => undefined);
    await server.close();
    await handler.close();
    await db.close();
    await database.close();
  });

  it('reads a range filtered by entity type, event kind, tenant and sequence, in the Arrow event form', async () => {
    const first = await write(db, 'invoice', 'i1', 'INSERT', 't1');
    await write(db, 'invoice', 'i1', 'UPDATE', 't1');
    await write(db, 'invoice', 'i2', 'INSERT', 't2');
    await write(db, 'payment', 'p1', 'INSERT', 't1');
    await write(db, 'invoice', 'i3', 'NOOP', 't1');
    const client = new FlightClient({ url: server.url });
    try {
      const batches = [];
      for await (const batch of readEvents(client, {
        entityTypes: ['invoice'],
        eventTypes: ['INSERT', 'UPDATE'],
        tenant: 't1',
        fromSeq: first.toString(),
      })) {
        batches.push(batch);
      }
      const rows = batches.flatMap(({ batch }) =>
        batch.toArray().map((row: { toJSON(): Record<string, unknown> }) => row.toJSON()),
      );
      expect(rows.map((row) => [row.entity_type, row.entity_id, row.event_type])).toEqual([
        ['invoice', 'i1', 'INSERT'],
        ['invoice', 'i1', 'UPDATE'],
      ]);
      expect(rows[0]).toMatchObject({ tenant_id: 't1', seq: first, data: '{"id":"i1"}' });
      expect(typeof rows[0]!.event_id).toBe('string');
      const schema = batches[0]!.batch.schema;
      expect(schema.fields.map((field) => `${field.name}:${String(field.type)}`)).toEqual([
        'event_id:Utf8',
        'seq:Int64',
        'event_type:Utf8',
        'entity_type:Utf8',
        'entity_id:Utf8',
        'timestamp:Timestamp<MICROSECOND, UTC>',
        'data:Utf8',
        'user_id:Utf8',
        'tenant_id:Utf8',
      ]);
      const stamp = Number(rows[0]!.timestamp);
      expect(Math.abs(stamp - Date.now())).toBeLessThan(10 * 60_000);
      // Resuming a finished range after its last position finds nothing new.
      const resumed = [];
      for await (const batch of readEvents(client, {
        entityTypes: ['invoice'],
        after: batches.at(-1)!.resume,
      })) {
        resumed.push(...seqsOf(batch.batch));
      }
      expect(resumed).toEqual([]);
    } finally {
      client.close();
    }
  });

  it('refuses a malformed resume position', async () => {
    const client = new FlightClient({ url: server.url });
    try {
      const error = await client
        .getFlightInfo(commandDescriptor({ kind: 'events', after: '12;x' }))
        .catch((e: unknown) => e);
      expect(isFlightError(error, 'INVALID_ARGUMENT')).toBe(true);
      expect((error as Error).message).toMatch(/after/);
    } finally {
      client.close();
    }
  });

  it('delivers on the tail a transaction that opened before and committed after a later one', async () => {
    const client = new FlightClient({ url: server.url });
    const controller = new AbortController();
    const received: bigint[] = [];
    const early = await write(db, 'late', 'early');
    const tail = (async () => {
      for await (const { batch } of readEvents(
        client,
        { tail: true, entityTypes: ['late'], fromSeq: early.toString() },
        { signal: controller.signal },
      )) {
        received.push(...seqsOf(batch));
      }
    })().catch((error: unknown) => {
      if (!controller.signal.aborted) throw error;
    });
    try {
      // The tail is open once the early event arrives.
      await waitFor(() => received.includes(early), { message: 'early event' });

      const a = await writer();
      const b = await writer();
      await a.query('BEGIN');
      const seqA = await write(a, 'late', 'a');
      const seqB = await write(b, 'late', 'b');
      expect(seqB).toBeGreaterThan(seqA);
      // B is committed and visible, but A may still commit a lower sequence: B waits.
      const after = await write(db, 'other', 'wake-up');
      expect(after).toBeGreaterThan(seqB);
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(received).toEqual([early]);

      await a.query('COMMIT');
      await waitFor(() => received.length >= 3, { message: 'both late events' });
      expect(received).toEqual([early, seqA, seqB]);
    } finally {
      controller.abort();
      await tail;
      client.close();
    }
  });

  it('resumes after a client killed mid-tail from its last app_metadata, with no gap and no duplicate', async () => {
    const marker = await write(db, 'order', 'marker');
    const child = spawn(process.execPath, [CHILD, server.url, marker.toString()], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: { seqs: string[]; resume: string }[] = [];
    let buffered = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        lines.push(JSON.parse(buffered.slice(0, newline)) as { seqs: string[]; resume: string });
        buffered = buffered.slice(newline + 1);
      }
    });
    const exited = new Promise((resolve) => child.on('exit', resolve));

    const written: bigint[] = [marker];
    let writing = true;
    const isWriting = () => writing;
    const writes = (async () => {
      const connection = await writer();
      for (let i = 0; i < 40 || isWriting(); i++) {
        // Several events per transaction and a few that commit out of order.
        await connection.query('BEGIN');
        for (let j = 0; j < 3; j++) written.push(await write(connection, 'order', `o${i}-${j}`));
        await connection.query('COMMIT');
      }
    })();
    try {
      await waitFor(() => lines.reduce((n, line) => n + line.seqs.length, 0) >= 30, {
        message: 'the child tail received events',
        // A fresh Node process loads the package first: seconds on a loaded machine.
        timeoutMs: 30_000,
      });
      child.kill('SIGKILL');
      await exited;
      writing = false;
      await writes;
      const seen = lines.flatMap((line) => line.seqs.map(BigInt));
      const resume = lines.at(-1)!.resume;

      const client = new FlightClient({ url: server.url });
      const controller = new AbortController();
      const resumed: bigint[] = [];
      const tail = (async () => {
        for await (const { batch } of readEvents(
          client,
          { tail: true, entityTypes: ['order'], fromSeq: marker.toString(), after: resume },
          { signal: controller.signal },
        )) {
          resumed.push(...seqsOf(batch));
        }
      })().catch((error: unknown) => {
        if (!controller.signal.aborted) throw error;
      });
      try {
        await waitFor(() => seen.length + resumed.length >= written.length, {
          message: 'every event after the resume position',
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        controller.abort();
        await tail;
        client.close();
      }
      const all = [...seen, ...resumed];
      expect(new Set(all).size).toBe(all.length);
      expect([...all].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))).toEqual(
        [...written].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
      );
      expect(resumed.length).toBeGreaterThan(0);
    } finally {
      writing = false;
      child.kill('SIGKILL');
      await writes.catch(() => undefined);
    }
  });

  it('puts the resume position and last sequence in every batch app_metadata', async () => {
    const seq = await write(db, 'meta', 'm1');
    const client = new FlightClient({ url: server.url });
    try {
      const info = await client.getFlightInfo(
        commandDescriptor({ kind: 'events', entityTypes: ['meta'] }),
      );
      const metadata = [];
      for await (const { batch, appMetadata } of client.doGetWithMetadata(
        info.endpoints[0]!.ticket,
      )) {
        metadata.push({ rows: batch.numRows, ...decodeEventMetadata(appMetadata) });
      }
      expect(metadata[0]).toMatchObject({ rows: 1, events: 1, lastSeq: seq.toString() });
      expect(metadata[0]!.resume).toMatch(/^\d+:\d+$/);
    } finally {
      client.close();
    }
  });
});
