import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a receiver got. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the receiver answers one request (the default: 200 `ok`). */
export type Responder = (request: ReceivedRequest, response: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1 that records what it receives, for action tests. */
export interface HttpReceiver extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly requests: ReceivedRequest[];
  /** Sets how the next requests are answered. */
  respond(responder: Responder): void;
  close(): Promise<void>;
}

/** Starts an {@link HttpReceiver} on a free loopback port. */
export async function startHttpReceiver(): Promise<HttpReceiver> {
  const requests: ReceivedRequest[] = [];
  let responder: Responder = (_request, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(received);
      responder(received, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    respond: (next) => {
      responder = next;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
