import { create } from '@bufbuild/protobuf';
import {
  Metadata,
  status,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import type { Logger } from '@fraiseql/core';
import type { Authenticator } from '../auth/authenticator.js';
import type { Principal } from '../auth/principal.js';
import { FlightError, isFlightError } from '../errors.js';
import {
  ActionTypeSchema,
  FlightDescriptor_DescriptorType,
  FlightDescriptorSchema,
  FlightEndpointSchema,
  FlightInfoSchema,
  HandshakeResponseSchema,
  PollInfoSchema,
  ResultSchema,
  SchemaResultSchema,
  TicketSchema,
  type Action,
  type ActionType,
  type Criteria,
  type Empty,
  type FlightDescriptor,
  type FlightInfo,
  type HandshakeRequest,
  type HandshakeResponse,
  type PollInfo,
  type Result,
  type SchemaResult,
  type Ticket,
} from '../gen/Flight_pb.js';
import { encapsulatedSchema, IpcEncoder } from '../ipc/ipc-encoder.js';
import type { FlightMetrics } from '../metrics/flight-metrics.js';
import type { StreamContext } from '../datasets/flight-stream.js';
import type { FlightDataView } from '../protocol/flight-data.js';
import { FlightDataFrame } from '../protocol/flight-data-frame.js';
import { grpcStatusName, grpcStatusOf, toServiceError } from '../protocol/grpc-status.js';
import type { TicketSigner } from '../tickets/ticket-signer.js';
import type { DescriptorRouter, ResolvedRequest } from './descriptor-router.js';
import type { FlightServerConfig } from './flight-server-options.js';
import type { StreamRegistry } from './stream-registry.js';
import { writeWithBackpressure } from './write-stream.js';
import type { FlightAction, PutTarget } from './flight-extension.js';
import { createDoPut } from './do-put.js';
import { createDoExchange } from '../exchange/do-exchange.js';
import type { ExchangeTarget } from '../exchange/exchange-target.js';

/** What the `health` action and `server.health()` report. */
export interface FlightHealth {
  readonly status: 'ok';
  readonly auth: boolean;
  readonly activeStreams: number;
  readonly streams: readonly { id: string; kind: string; subject: string; seconds: number }[];
  readonly [key: string]: unknown;
}

interface Deps {
  readonly config: FlightServerConfig;
  readonly router: DescriptorRouter;
  readonly authenticator: Authenticator;
  readonly tickets: TicketSigner;
  readonly streams: StreamRegistry;
  readonly logger: Logger;
  readonly metrics: FlightMetrics;
  readonly extraHealth:
    (() => Promise<Record<string, unknown>> | Record<string, unknown>) | undefined;
  readonly newId: () => string;
  readonly actions?: readonly FlightAction[] | undefined;
  readonly putTargets?: readonly PutTarget[] | undefined;
  readonly exchangeTargets?: readonly ExchangeTarget[] | undefined;
}

const ACTIONS: readonly { type: string; description: string }[] = [
  { type: 'health', description: 'Server state: auth, running streams, database connection.' },
  {
    type: 'refresh-schema',
    description: 'Reload view columns and the GraphQL schema (after a migration).',
  },
  { type: 'cancel', description: 'Cancel a running stream: body {"id": "<stream id>"}.' },
];

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface AnyCall {
  metadata: Metadata;
  getPeer(): string;
}

function authorizationOf(call: AnyCall): string | undefined {
  const value = call.metadata.get('authorization')[0];
  return typeof value === 'string' ? value : value?.toString('utf8');
}

function peerHost(call: AnyCall): string {
  const peer = call.getPeer();
  const colon = peer.lastIndexOf(':');
  return colon > 0 ? peer.slice(0, colon) : peer;
}

function tokenMetadata(token: string | undefined): Metadata | undefined {
  if (token === undefined) return undefined;
  const metadata = new Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

/** The grpc-js handlers of every Flight RPC, plus the health snapshot they share. */
export function createRpcHandlers(deps: Deps) {
  const { config, router, authenticator, tickets, streams, logger, metrics } = deps;

  const context = (principal: Principal, signal: AbortSignal): StreamContext => ({
    principal,
    signal,
    batch: config.batch,
  });

  const authenticate = async (call: AnyCall): Promise<Principal> => {
    const { principal, issuedToken } = await authenticator.authenticate(authorizationOf(call));
    const metadata = tokenMetadata(issuedToken);
    if (metadata !== undefined && 'sendMetadata' in call) {
      (call as unknown as { sendMetadata(m: Metadata): void }).sendMetadata(metadata);
    }
    return principal;
  };

  const failure = (method: string, error: unknown) => {
    const serviceError = toServiceError(error);
    metrics.rpcError(method, grpcStatusName(serviceError.code));
    if (!isFlightError(error) || error.code === 'INTERNAL') {
      logger.error({ err: error, method }, 'flight: request failed');
    } else {
      logger.debug({ method, code: error.code, message: error.message }, 'flight: request refused');
    }
    return serviceError;
  };

  const unary =
    <Req, Res>(method: string, run: (call: ServerUnaryCall<Req, Res>) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      run(call).then(
        (value) => {
          callback(null, value);
        },
        (error: unknown) => {
          callback(failure(method, error));
        },
      );
    };

  const serverStream =
    <Req, Res>(
      method: string,
      run: (call: ServerWritableStream<Req, Res>, signal: AbortSignal) => Promise<void>,
    ) =>
    (call: ServerWritableStream<Req, Res>): void => {
      const controller = new AbortController();
      call.on('cancelled', () => {
        controller.abort(new FlightError('CANCELLED', 'client cancelled'));
      });
      run(call, controller.signal).then(
        () => {
          call.end();
        },
        (error: unknown) => {
          if (controller.signal.aborted && call.cancelled) return;
          call.emit('error', failure(method, error));
        },
      );
    };

  const describe = async (
    resolved: ResolvedRequest,
    descriptor: FlightDescriptor,
    principal: Principal,
    signal: AbortSignal,
  ): Promise<FlightInfo> => {
    const { handler, request } = resolved;
    handler.authorize(request, principal);
    const ctx = context(principal, signal);
    const [schema, totalRecords, ticket] = await Promise.all([
      handler.schema(request, ctx),
      handler.totalRecords?.(request, ctx) ?? Promise.resolve(-1),
      tickets.issue(handler.kind as never, request, principal),
    ]);
    const claims = await tickets.verify(ticket);
    return create(FlightInfoSchema, {
      schema: encapsulatedSchema(schema),
      flightDescriptor: descriptor,
      endpoint: [
        create(FlightEndpointSchema, {
          ticket: create(TicketSchema, { ticket: handler.wrapTicket?.(ticket) ?? ticket }),
          appMetadata: encoder.encode(JSON.stringify({ streamId: claims.streamId })),
          expirationTime: { seconds: BigInt(claims.expiresAt), nanos: 0 },
        }),
      ],
      totalRecords: BigInt(totalRecords),
      totalBytes: -1n,
      ordered: true,
    });
  };

  const healthSnapshot = async (): Promise<FlightHealth> => {
    const now = Date.now();
    const extra = (await deps.extraHealth?.()) ?? {};
    return {
      ...extra,
      status: 'ok',
      auth: authenticator.enabled,
      activeStreams: streams.size,
      streams: streams.list().map((stream) => ({
        id: stream.id,
        kind: stream.kind,
        subject: stream.subject,
        seconds: (now - stream.startedAt) / 1000,
      })),
    };
  };

  const doGet = async (
    call: ServerWritableStream<Ticket, FlightDataFrame>,
    signal: AbortSignal,
  ) => {
    const principal = await authenticate(call);
    const claims = await tickets.verify(call.request.ticket);
    if ((claims.tenant ?? null) !== (principal.tenant ?? null)) {
      throw new FlightError('PERMISSION_DENIED', 'ticket: issued to another tenant');
    }
    const handler = router.handler(claims.kind);
    const request = handler.parse(claims.request);
    handler.authorize(request, principal);
    const kind = handler.kind;
    const started = performance.now();
    const controller = new AbortController();
    const onAbort = (): void => {
      controller.abort(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const unregister = streams.open({
      id: claims.streamId,
      kind,
      subject: principal.subject,
      client: `${principal.subject}@${peerHost(call)}`,
      startedAt: Date.now(),
      controller,
    });
    metrics.streamStarted(kind);
    let outcome = 'OK';
    try {
      const stream = await handler.open(request, context(principal, controller.signal));
      const ipc = new IpcEncoder();
      const write = (frame: FlightDataFrame) =>
        writeWithBackpressure(call, frame, controller.signal);
      await write(new FlightDataFrame({ dataHeader: ipc.schemaMessage(stream.schema).header }));
      let first = true;
      for await (const { batch, appMetadata } of stream.batches(controller.signal)) {
        const messages = ipc.batchMessages(batch);
        let bytes = 0;
        for (let i = 0; i < messages.length; i++) {
          const message = messages[i];
          if (message === undefined) continue;
          const frame = new FlightDataFrame(
            {
              dataHeader: message.header,
              bodyParts: message.bodyParts,
              appMetadata: i === messages.length - 1 ? appMetadata : undefined,
            },
            { alignBody: true },
          );
          bytes += frame.byteLength;
          await write(frame);
        }
        metrics.batchSent(kind, batch.numRows, bytes);
        if (first) {
          first = false;
          metrics.firstBatch(kind, (performance.now() - started) / 1000);
        }
      }
      if (controller.signal.aborted) throw controller.signal.reason;
    } catch (error) {
      outcome = call.cancelled
        ? 'CANCELLED'
        : grpcStatusName(isFlightError(error) ? grpcStatusOf(error.code) : status.INTERNAL);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
      unregister();
      metrics.streamEnded(kind, outcome, (performance.now() - started) / 1000);
    }
  };

  const extensionActions = new Map((deps.actions ?? []).map((action) => [action.type, action]));

  const doAction = async (call: ServerWritableStream<Action, Result>, signal: AbortSignal) => {
    const principal = await authenticate(call);
    const { type, body } = call.request;
    const extension = extensionActions.get(type);
    if (extension !== undefined) {
      const bodies = await extension.run(body, principal, {
        principal,
        signal,
        batch: config.batch,
      });
      for (const result of bodies) {
        await writeWithBackpressure(call, create(ResultSchema, { body: result }), signal);
      }
      return;
    }
    let result: unknown;
    if (type === 'health') {
      result = await healthSnapshot();
    } else if (type === 'refresh-schema') {
      const refreshed: string[] = [];
      for (const handler of router.handlers) {
        const refresh = (handler as { refresh?: () => Promise<void> }).refresh;
        if (refresh !== undefined) {
          await refresh.call(handler);
          refreshed.push(handler.kind);
        }
      }
      result = { refreshed };
    } else if (type === 'cancel') {
      let id: unknown;
      try {
        id = (JSON.parse(decoder.decode(body)) as { id?: unknown }).id;
      } catch {
        id = undefined;
      }
      if (typeof id !== 'string') {
        throw new FlightError('INVALID_ARGUMENT', 'cancel: body must be {"id": "<stream id>"}');
      }
      streams.cancel(id, principal);
      result = { cancelled: id };
    } else {
      throw new FlightError('UNIMPLEMENTED', `action ${JSON.stringify(type)}: not supported`);
    }
    call.write(create(ResultSchema, { body: encoder.encode(JSON.stringify(result)) }));
  };

  const unimplemented = (method: string) => (call: ServerDuplexStream<FlightDataView, unknown>) => {
    metrics.rpcError(method, 'UNIMPLEMENTED');
    call.on('error', () => undefined);
    call.emit('error', {
      code: status.UNIMPLEMENTED,
      details: `${method} is not implemented by this server yet`,
    });
  };

  return {
    healthSnapshot,
    Handshake(call: ServerDuplexStream<HandshakeRequest, HandshakeResponse>): void {
      let answered = false;
      call.on('error', () => undefined);
      call.on('data', (request: HandshakeRequest) => {
        if (answered) return;
        answered = true;
        authenticator.authenticate(authorizationOf(call), request.payload).then(
          async ({ principal, issuedToken }) => {
            const token =
              issuedToken ??
              (authenticator.enabled ? await authenticator.issueToken(principal) : '');
            const metadata = tokenMetadata(token === '' ? undefined : token);
            if (metadata !== undefined) call.sendMetadata(metadata);
            call.write(
              create(HandshakeResponseSchema, {
                protocolVersion: request.protocolVersion,
                payload: encoder.encode(token),
              }),
            );
            call.end();
          },
          (error: unknown) => {
            call.emit('error', failure('Handshake', error));
          },
        );
      });
      call.on('end', () => {
        if (!answered) call.end();
      });
    },
    ListFlights: serverStream<Criteria, FlightInfo>('ListFlights', async (call, signal) => {
      const principal = await authenticate(call);
      const filter = decoder.decode(call.request.expression).trim();
      for (const handler of router.handlers) {
        for (const listing of await handler.list(principal)) {
          const path = [handler.kind, ...listing.path.slice(1)];
          if (filter !== '' && !path.join('/').includes(filter)) continue;
          const descriptor = create(FlightDescriptorSchema, {
            type: FlightDescriptor_DescriptorType.PATH,
            path,
          });
          try {
            const info = await describe(
              { handler, request: handler.parse(listing.request) },
              descriptor,
              principal,
              signal,
            );
            await writeWithBackpressure(call, info, signal);
          } catch (error) {
            if (signal.aborted) throw error;
            logger.warn({ err: error, path: path.join('/') }, 'flight: dataset not listable');
          }
        }
      }
    }),
    GetFlightInfo: unary<FlightDescriptor, FlightInfo>('GetFlightInfo', async (call) => {
      const principal = await authenticate(call);
      return describe(
        router.resolve(call.request),
        call.request,
        principal,
        AbortSignal.timeout(config.limits.statementTimeoutMs || 60_000),
      );
    }),
    PollFlightInfo: unary<FlightDescriptor, PollInfo>('PollFlightInfo', async (call) => {
      const principal = await authenticate(call);
      // Results are streamed on DoGet, so the flight is complete as soon as it is described.
      const info = await describe(
        router.resolve(call.request),
        call.request,
        principal,
        AbortSignal.timeout(config.limits.statementTimeoutMs || 60_000),
      );
      return create(PollInfoSchema, { info, progress: 1 });
    }),
    GetSchema: unary<FlightDescriptor, SchemaResult>('GetSchema', async (call) => {
      const principal = await authenticate(call);
      const { handler, request } = router.resolve(call.request);
      handler.authorize(request, principal);
      const schema = await handler.schema(
        request,
        context(principal, AbortSignal.timeout(config.limits.statementTimeoutMs || 60_000)),
      );
      return create(SchemaResultSchema, { schema: encapsulatedSchema(schema) });
    }),
    DoGet: serverStream<Ticket, FlightDataFrame>('DoGet', doGet),
    DoPut:
      (deps.putTargets ?? []).length === 0
        ? unimplemented('DoPut')
        : createDoPut({
            targets: deps.putTargets ?? [],
            authenticate,
            failure,
            batch: config.batch,
          }),
    DoExchange:
      (deps.exchangeTargets ?? []).length === 0
        ? unimplemented('DoExchange')
        : createDoExchange({
            targets: deps.exchangeTargets ?? [],
            authenticate,
            failure,
            batch: config.batch,
            streams,
            metrics,
            newId: deps.newId,
          }),
    DoAction: serverStream<Action, Result>('DoAction', (call, signal) => doAction(call, signal)),
    ListActions: serverStream<Empty, ActionType>('ListActions', async (call) => {
      await authenticate(call);
      for (const action of ACTIONS) call.write(create(ActionTypeSchema, action));
      for (const action of extensionActions.values()) {
        call.write(
          create(ActionTypeSchema, { type: action.type, description: action.description }),
        );
      }
    }),
  };
}
