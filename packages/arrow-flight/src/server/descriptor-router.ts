import { FlightError } from '../errors.js';
import { FlightDescriptor_DescriptorType, type FlightDescriptor } from '../gen/Flight_pb.js';
import type { StreamHandler } from '../datasets/flight-stream.js';

/** A descriptor resolved to the handler of its kind and its validated request. */
export interface ResolvedRequest {
  readonly handler: StreamHandler;
  readonly request: unknown;
}

/**
 * Turns an opaque CMD descriptor into `{ kind, request }`, or returns undefined when the bytes
 * are not its format. The JSON command (`{"kind":"view",…}`) is the built-in one; protobuf
 * commands (Flight SQL) plug in as further decoders.
 */
export type CommandDecoder = (cmd: Uint8Array) => { kind: string; request: unknown } | undefined;

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The built-in JSON command: a UTF-8 JSON object whose `kind` names the handler. */
export const jsonCommandDecoder: CommandDecoder = (cmd) => {
  let text: string;
  try {
    text = decoder.decode(cmd).trim();
  } catch {
    return undefined;
  }
  if (!text.startsWith('{')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new FlightError('INVALID_ARGUMENT', 'command: not valid JSON', { cause });
  }
  const kind = (parsed as { kind?: unknown }).kind;
  if (typeof kind !== 'string') {
    throw new FlightError('INVALID_ARGUMENT', 'command: "kind" must name a stream kind');
  }
  return { kind, request: parsed };
};

/** Dispatches descriptors to stream handlers by kind. */
export class DescriptorRouter {
  readonly #handlers = new Map<string, StreamHandler>();
  readonly #decoders: CommandDecoder[];

  constructor(handlers: readonly StreamHandler[], decoders: readonly CommandDecoder[]) {
    for (const handler of handlers) this.#handlers.set(handler.kind, handler);
    this.#decoders = [...decoders];
  }

  get handlers(): StreamHandler[] {
    return [...this.#handlers.values()];
  }

  /** @throws {FlightError} `NOT_FOUND` for a kind no handler serves. */
  handler(kind: string): StreamHandler {
    const handler = this.#handlers.get(kind);
    if (handler === undefined) {
      throw new FlightError('NOT_FOUND', `no dataset kind ${JSON.stringify(kind)} on this server`);
    }
    return handler;
  }

  /** @throws {FlightError} `INVALID_ARGUMENT` / `NOT_FOUND`. */
  resolve(descriptor: FlightDescriptor): ResolvedRequest {
    if (descriptor.type === FlightDescriptor_DescriptorType.PATH) {
      // `['view', 'va_orders']`, or one segment `view/va_orders` for clients that send one.
      const path =
        descriptor.path.length === 1 ? (descriptor.path[0] ?? '').split('/') : descriptor.path;
      const [kind, ...rest] = path;
      const handler = this.handler(kind ?? '');
      const request = handler.fromPath(rest);
      if (request === undefined) {
        throw new FlightError('NOT_FOUND', `no dataset at path ${JSON.stringify(path.join('/'))}`);
      }
      return { handler, request: handler.parse(request) };
    }
    if (descriptor.type === FlightDescriptor_DescriptorType.CMD) {
      for (const decode of this.#decoders) {
        const command = decode(descriptor.cmd);
        if (command === undefined) continue;
        const handler = this.handler(command.kind);
        return { handler, request: handler.parse(command.request) };
      }
      throw new FlightError('INVALID_ARGUMENT', 'command: unrecognised format');
    }
    throw new FlightError('INVALID_ARGUMENT', 'descriptor: type must be PATH or CMD');
  }
}
