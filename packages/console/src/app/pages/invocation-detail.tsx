export interface Invocation {
  readonly id: string;
  readonly eventId: string;
  readonly eventSeq?: string;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  readonly attempt: number;
  readonly trigger: string;
  readonly actor?: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly outcome: 'success' | 'failure' | 'aborted';
  readonly summary?: string;
  readonly target?: string;
  readonly httpStatus?: number;
  readonly responseHeaders?: Readonly<Record<string, string>>;
  readonly responseBody?: string;
  readonly errorCode?: string;
  readonly errorType?: string;
  readonly errorClass?: string;
  readonly errorMessage?: string;
  readonly retryable?: boolean;
}

/** How an attempt was started: a delivery, or who asked for a redelivery or a retry. */
export function triggerOf(row: Invocation): string {
  if (row.trigger === 'delivery') return '';
  return `${row.trigger}${row.actor === undefined ? '' : ` by ${row.actor}`}`;
}

/** One attempt's request and response, as the log keeps them (secrets already redacted). */
export function InvocationDetail(props: { row: Invocation }) {
  const { row } = props;
  return (
    <div class="detail" data-testid="invocation-detail">
      <h4>Request</h4>
      <p>
        <code>{row.target ?? row.actionType}</code> · observer {row.observer} action #
        {row.actionIndex} ({row.actionType}) · attempt {row.attempt} {triggerOf(row)}
      </p>
      <p class="muted">
        event {row.eventId} (seq {row.eventSeq ?? '?'}): {row.eventType} {row.entityType}{' '}
        {row.entityId}
      </p>
      <h4>Response</h4>
      <p>
        {row.httpStatus === undefined ? 'no HTTP response' : `HTTP ${String(row.httpStatus)}`} ·{' '}
        {row.durationMs.toFixed(0)} ms · started {row.startedAt}
      </p>
      {row.responseHeaders !== undefined && (
        <pre data-testid="invocation-headers">
          {Object.entries(row.responseHeaders)
            .map(([name, value]) => `${name}: ${value}`)
            .join('\n')}
        </pre>
      )}
      {row.responseBody !== undefined && row.responseBody !== '' && (
        <pre data-testid="invocation-body">{row.responseBody}</pre>
      )}
      {row.outcome === 'success' ? (
        <p>{row.summary}</p>
      ) : (
        <p class="error">
          <code>{row.errorClass}</code> {row.errorCode} ({row.errorType}
          {row.retryable === true ? ', retryable' : ''}): {row.errorMessage}
        </p>
      )}
    </div>
  );
}

/** The attempts of a list, newest first; a click opens one. */
export function InvocationTable(props: {
  rows: readonly Invocation[];
  open: string | undefined;
  onOpen: (id: string | undefined) => void;
  actions?: (row: Invocation) => preact.JSX.Element;
}) {
  const columns = props.actions === undefined ? 9 : 10;
  return (
    <table class="list">
      <thead>
        <tr>
          <th>started</th>
          <th>observer</th>
          <th>action</th>
          <th>event</th>
          <th>try</th>
          <th>outcome</th>
          <th>HTTP</th>
          <th>ms</th>
          <th>detail</th>
          {props.actions !== undefined && <th />}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((row) => [
          <tr
            key={row.id}
            class="clickable"
            data-testid="invocation-row"
            data-id={row.id}
            data-event={row.eventId}
            data-observer={row.observer}
            data-outcome={row.outcome}
            data-trigger={row.trigger}
            onClick={() => {
              props.onOpen(props.open === row.id ? undefined : row.id);
            }}
          >
            <td>{row.startedAt}</td>
            <td>{row.observer}</td>
            <td>
              #{row.actionIndex} {row.actionType}
            </td>
            <td>
              {row.eventType} {row.entityType} {row.entityId}
            </td>
            <td>
              {row.attempt} {triggerOf(row)}
            </td>
            <td>
              <span class={`state state-${row.outcome === 'success' ? 'running' : 'disabled'}`}>
                {row.outcome}
              </span>
            </td>
            <td>{row.httpStatus ?? ''}</td>
            <td>{row.durationMs.toFixed(0)}</td>
            <td>
              {row.outcome === 'success'
                ? row.summary
                : `${row.errorType ?? ''}: ${row.errorMessage ?? ''}`}
            </td>
            {props.actions !== undefined && (
              <td
                class="actions"
                onClick={(event) => {
                  event.stopPropagation();
                }}
              >
                {props.actions(row)}
              </td>
            )}
          </tr>,
          props.open === row.id ? (
            <tr key={`${row.id}-detail`}>
              <td colSpan={columns}>
                <InvocationDetail row={row} />
              </td>
            </tr>
          ) : null,
        ])}
      </tbody>
    </table>
  );
}
