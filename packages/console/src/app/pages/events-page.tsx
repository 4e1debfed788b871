import { useEffect, useState } from 'preact/hooks';
import { consoleUrl, readEventStream, type Session } from '../api.js';
import { EventExplanation } from './event-explanation.js';

interface EventJson {
  readonly id: string;
  readonly seq: string;
  readonly eventType: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly tenantId?: string;
  readonly timestamp: string;
  readonly malformed?: string;
}

interface Row {
  readonly key: string;
  readonly event: EventJson;
  readonly json: string;
}

const KEEP = 500;

export function EventsPage(props: { session: Session }) {
  const [draft, setDraft] = useState({ entity: '', kind: '', tenant: '', text: '' });
  const [filter, setFilter] = useState(draft);
  const [rows, setRows] = useState<Row[]>([]);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [status, setStatus] = useState<string>('connecting…');

  useEffect(() => {
    if (!props.session.events) return undefined;
    setRows([]);
    const controller = new AbortController();
    const query = new URLSearchParams(Object.entries(filter).filter(([, value]) => value !== ''));
    void readEventStream(
      `${consoleUrl('events')}?${query.toString()}`,
      {
        onOpen: () => {
          setStatus('live');
        },
        onProblem: (message) => {
          setStatus(message ?? 'live');
        },
        onEvent: (id, data) => {
          const event = JSON.parse(data) as EventJson;
          const json = JSON.stringify(event, null, 2);
          setRows((previous) => [{ key: id, event, json }, ...previous].slice(0, KEEP));
        },
      },
      controller.signal,
    );
    return () => {
      controller.abort();
    };
  }, [filter, props.session.events]);

  if (!props.session.events) {
    return (
      <p class="muted">This console was mounted without a database: no change log to stream.</p>
    );
  }
  return (
    <section>
      <h2>Events</h2>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter(draft);
        }}
      >
        {(['entity', 'tenant', 'text'] as const).map((name) => (
          <input
            key={name}
            name={name}
            placeholder={name === 'text' ? 'text in data' : name}
            value={draft[name]}
            onInput={(event) => {
              setDraft({ ...draft, [name]: event.currentTarget.value });
            }}
          />
        ))}
        <select
          name="kind"
          value={draft.kind}
          onChange={(event) => {
            setDraft({ ...draft, kind: event.currentTarget.value });
          }}
        >
          <option value="">any kind</option>
          {['INSERT', 'UPDATE', 'DELETE', 'CUSTOM'].map((kind) => (
            <option key={kind} value={kind}>
              {kind}
            </option>
          ))}
        </select>
        <button type="submit">Apply</button>
        <span class="muted" data-testid="stream-status">
          {status}
        </span>
      </form>
      <table class="list">
        <thead>
          <tr>
            <th>seq</th>
            <th>time</th>
            <th>kind</th>
            <th>entity</th>
            <th>id</th>
            <th>tenant</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => [
            <tr
              key={row.key}
              class="clickable"
              data-testid="event-row"
              data-entity={row.event.entityType}
              data-entity-id={row.event.entityId}
              onClick={() => {
                setOpen(open === row.key ? undefined : row.key);
              }}
            >
              <td>{row.event.seq}</td>
              <td>{row.event.timestamp}</td>
              <td>
                <span class={`kind kind-${row.event.eventType}`}>{row.event.eventType}</span>
              </td>
              <td>{row.event.entityType}</td>
              <td>{row.event.entityId}</td>
              <td>{row.event.tenantId ?? ''}</td>
            </tr>,
            open === row.key ? (
              <tr key={`${row.key}-json`}>
                <td colSpan={6}>
                  <pre data-testid="event-json">{row.json}</pre>
                  {row.event.malformed === undefined && (
                    <EventExplanation session={props.session} eventId={row.event.id} />
                  )}
                </td>
              </tr>
            ) : null,
          ])}
        </tbody>
      </table>
      {rows.length === 0 && (
        <p class="muted">No matching events yet; new ones appear here as they commit.</p>
      )}
    </section>
  );
}
