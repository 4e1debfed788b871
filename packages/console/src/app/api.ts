// Talks to the console API and the admin API with the token the operator entered. The token
// lives in sessionStorage (gone when the tab closes) and only ever travels in the
// Authorization header, never in a URL.

const TOKEN_KEY = 'fraiseql-console-token';

export interface Session {
  readonly name: string;
  readonly role: 'operator' | 'read-only';
  readonly adminPath: string;
  readonly healthPath: string;
  readonly events: boolean;
  readonly rates: boolean;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

/** The console API lives at `api/` beside the page, wherever the console is mounted. */
export function consoleUrl(path: string): string {
  return new URL(`api/${path}`, document.baseURI).pathname;
}

let unauthorised: () => void = () => undefined;
export function onUnauthorised(callback: () => void): void {
  unauthorised = callback;
}

export async function call<T>(
  path: string,
  init: { method?: string; token?: string } = {},
): Promise<T> {
  const token = init.token ?? storedToken();
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    cache: 'no-store',
  });
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    body = text;
  }
  if (!response.ok && !(response.status === 503 && path.endsWith('/health'))) {
    if (response.status === 401 && init.token === undefined) unauthorised();
    const message =
      typeof body === 'object' && body !== null && 'error' in body
        ? String(body.error)
        : `${response.status} ${response.statusText}`;
    throw new ApiError(response.status, message);
  }
  return body as T;
}

export interface StreamHandlers {
  onEvent(id: string, data: string): void;
  onProblem(message: string | null): void;
  onOpen(): void;
}

/**
 * Reads a Server-Sent Events stream with fetch (so the token goes in a header, which
 * EventSource cannot do), reconnecting with Last-Event-ID after a drop until `signal` aborts.
 */
export async function readEventStream(
  path: string,
  handlers: StreamHandlers,
  signal: AbortSignal,
): Promise<void> {
  let lastId: string | undefined;
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    try {
      const token = storedToken();
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (token !== undefined) headers.authorization = `Bearer ${token}`;
      if (lastId !== undefined) headers['last-event-id'] = lastId;
      const response = await fetch(path, { headers, signal, cache: 'no-store' });
      if (response.status === 401) {
        unauthorised();
        return;
      }
      if (!response.ok || response.body === null) {
        handlers.onProblem(`live stream refused: ${response.status} ${await response.text()}`);
      } else {
        handlers.onOpen();
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            let event = 'message';
            let data = '';
            let id: string | undefined;
            for (const line of block.split('\n')) {
              if (line.startsWith('event: ')) event = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
              else if (line.startsWith('id: ')) id = line.slice(4);
            }
            if (id !== undefined) lastId = id;
            if (event === 'change') handlers.onEvent(id ?? '', data);
            else if (event === 'problem') {
              handlers.onProblem((JSON.parse(data) as { message: string | null }).message);
            }
          }
        }
        handlers.onProblem('live stream ended; reconnecting');
      }
    } catch (error) {
      if (stopped()) return;
      handlers.onProblem(`live stream dropped: ${String(error)}; reconnecting`);
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
