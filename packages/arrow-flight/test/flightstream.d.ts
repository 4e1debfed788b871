// @flightstream/core-client ships JavaScript without type declarations; the slice the interop
// test calls.
declare module '@flightstream/core-client' {
  export class FlightClient {
    constructor(options: Record<string, unknown>);
    listDatasets(): Promise<{ id: string; totalRecords: string | number }[]>;
    getDatasetInfo(id: string): Promise<{ id: string; totalRecords: string | number }>;
    getSchema(id: string): Promise<import('apache-arrow').Schema>;
    listActions(): Promise<{ type: string; description: string }[]>;
    doAction(type: string, body?: unknown): Promise<unknown[]>;
    disconnect(): Promise<void>;
  }
}
declare module '@flightstream/core-client/flight-protocol-client' {
  export class FlightProtocolClient {
    constructor(options: Record<string, unknown>);
    _initializeClient(): void;
    client: { doGet(ticket: { ticket: Buffer }): AsyncIterable<unknown> };
    close(): void;
  }
}
