import {
  Dictionary,
  Int32,
  makeData,
  makeVector,
  Table,
  Utf8,
  vectorFromArray,
  type RecordBatch,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { decodeFlightData, type FlightDataView } from '../protocol/flight-data.js';
import { FlightDataFrame } from '../protocol/flight-data-frame.js';
import { decodeFlightStream, type ReceivedBatch } from './ipc-decoder.js';
import { IpcEncoder } from './ipc-encoder.js';

/** Frames a table as DoGet does and receives each message as grpc-js hands it over. */
function wire(table: Table, alignBody: boolean): { views: FlightDataView[]; received: Buffer[] } {
  const ipc = new IpcEncoder();
  const frames = [new FlightDataFrame({ dataHeader: ipc.schemaMessage(table.schema).header })];
  for (const batch of table.batches) {
    for (const message of ipc.batchMessages(batch)) {
      frames.push(
        new FlightDataFrame(
          {
            dataHeader: message.header,
            bodyParts: message.bodyParts,
            appMetadata: Uint8Array.of(batch.numRows & 0xff),
          },
          { alignBody },
        ),
      );
    }
  }
  const received = frames.map((frame) => {
    const output = Buffer.allocUnsafe(frame.byteLength + 5);
    frame.copy(output, 5);
    return output;
  });
  return { views: received.map((buffer) => decodeFlightData(buffer.subarray(5))), received };
}

async function decode(views: FlightDataView[]): Promise<ReceivedBatch[]> {
  const out: ReceivedBatch[] = [];
  const source = (async function* () {
    for (const view of views) yield await Promise.resolve(view);
  })();
  for await (const received of decodeFlightStream(source)) out.push(received);
  return out;
}

const rowsOf = (batches: readonly RecordBatch[]) =>
  new Table(batches)
    .toArray()
    .map((row: object) =>
      JSON.stringify(row, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
    );

function sample(): Table {
  const part = (from: number, length: number) =>
    new Table({
      id: makeVector(BigInt64Array.from({ length }, (_, i) => BigInt(from + i) * 1_000_000_007n)),
      value: makeVector(Float64Array.from({ length }, (_, i) => (from + i) / 3)),
      name: vectorFromArray(
        Array.from({ length }, (_, i) => ((from + i) % 5 === 0 ? null : `näme-${from + i}`)),
        new Utf8(),
      ),
      flag: vectorFromArray(Array.from({ length }, (_, i) => (from + i) % 2 === 0)),
    });
  return new Table([
    ...part(0, 1000).batches,
    ...part(1000, 3).batches,
    ...part(1003, 777).batches,
  ]);
}

describe('decodeFlightStream', () => {
  it('builds record batches straight over aligned received bodies, without copying', async () => {
    const table = sample();
    const { views, received } = wire(table, true);
    const batches = await decode(views);
    expect(batches.map(({ batch }) => batch.numRows)).toEqual([1000, 3, 777]);
    expect(rowsOf(batches.map(({ batch }) => batch))).toEqual(rowsOf(table.batches));
    expect(batches.map(({ appMetadata }) => appMetadata[0])).toEqual([1000 & 0xff, 3, 777 & 0xff]);
    const ids = batches[0]?.batch.getChild('id')?.data[0]?.values as BigInt64Array;
    expect(ids.buffer).toBe(received[1]?.buffer);
  });

  it('reads bodies a server did not align (one copy) with the same values', async () => {
    const table = sample();
    const { views } = wire(table, false);
    expect(views.some((view) => view.dataBody.byteOffset % 8 !== 0)).toBe(true);
    expect(rowsOf((await decode(views)).map(({ batch }) => batch))).toEqual(rowsOf(table.batches));
  });

  it('reads dictionary-encoded columns through the reader', async () => {
    const type = new Dictionary(new Utf8(), new Int32());
    const dictionary = vectorFromArray(['red', 'green', 'blue'], new Utf8());
    const indices = Int32Array.from([0, 2, 1, 1, 0]);
    const color = makeVector(makeData({ type, length: 5, data: indices, dictionary }));
    const table = new Table({ color });
    const batches = await decode(wire(table, true).views);
    expect(new Table(batches.map(({ batch }) => batch)).getChild('color')?.toArray()).toEqual([
      'red',
      'blue',
      'green',
      'green',
      'red',
    ]);
  });

  it('keeps dictionaries across batches: replaced, extended by deltas, shared by columns', async () => {
    const type = () => new Dictionary(new Utf8(), new Int32(), 7);
    const words = (values: string[]) => vectorFromArray(values, new Utf8());
    const column = (dictionary: ReturnType<typeof words>, indices: number[]) =>
      makeVector(
        makeData({
          type: type(),
          length: indices.length,
          data: Int32Array.from(indices),
          dictionary,
        }),
      );
    const first = words(['red', 'green']);
    const extended = first.concat(words(['blue', 'ünïcode']));
    const replaced = words(['x', 'y', 'z']);
    const batches = [
      new Table({ color: column(first, [0, 1, 1]) }),
      new Table({ color: column(extended, [3, 2, 0, 1]) }),
      new Table({ color: column(extended, [2, 2]) }),
      new Table({ color: column(replaced, [2, 0, 1]) }),
    ].flatMap((table) => table.batches);
    const table = new Table(batches);
    const decoded = await decode(wire(table, true).views);
    expect(decoded.map(({ batch }) => batch.numRows)).toEqual([3, 4, 2, 3]);
    expect(new Table(decoded.map(({ batch }) => batch)).getChild('color')?.toArray()).toEqual([
      'red',
      'green',
      'green',
      'ünïcode',
      'blue',
      'red',
      'green',
      'blue',
      'blue',
      'z',
      'x',
      'y',
    ]);
  });
});
