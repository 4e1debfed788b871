import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { call, type Session } from '../api.js';
import { useConfirm } from '../confirm.js';
import { InvocationTable, type Invocation } from './invocation-detail.js';

interface Redelivery {
  readonly ok: boolean;
  readonly actions: readonly {
    readonly actionType: string;
    readonly status: string;
    readonly summary?: string;
    readonly error?: string;
  }[];
}

export function InvocationsPage(props: { session: Session }) {
  const admin = props.session.adminPath;
  const operator = props.session.role === 'operator';
  const [draft, setDraft] = useState({ observer: '', event: '', status: '', since: '' });
  const [filter, setFilter] = useState(draft);
  const [rows, setRows] = useState<Invocation[] | undefined>(undefined);
  const [enabled, setEnabled] = useState(true);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [ask, dialog] = useConfirm();
  const query = new URLSearchParams(
    Object.entries(filter).filter(([, value]) => value !== ''),
  ).toString();

  const load = async (): Promise<void> => {
    try {
      const body = await call<{ enabled: boolean; items: Invocation[] }>(
        `${admin}/invocations?limit=200&${query}`,
      );
      setRows(body.items);
      setEnabled(body.enabled);
    } catch (error) {
      setMessage(String(error));
    }
  };
  useEffect(() => {
    return poll(load, 5000);
  }, [query]);

  const redeliver = (row: Invocation): void => {
    ask({
      question: `Send ${row.eventType} ${row.entityType} ${row.entityId} to ${row.observer} again (every action once)?`,
      yes: 'Redeliver',
      run: async () => {
        try {
          const result = await call<Redelivery>(
            `${admin}/observers/${encodeURIComponent(row.observer)}/redeliver/${encodeURIComponent(row.eventId)}`,
            { method: 'POST' },
          );
          setMessage(
            `redelivered to ${row.observer}: ${result.actions
              .map(
                (action) =>
                  `${action.actionType} ${action.status}${action.error === undefined ? '' : ` (${action.error})`}`,
              )
              .join(', ')}`,
          );
        } catch (error) {
          setMessage(String(error));
        }
        await load();
      },
    });
  };

  return (
    <section>
      <h2>Invocations</h2>
      {!enabled && (
        <p class="notice">
          The invocation log is off (FRAISEQL_INVOCATION_LOG=false): older rows only.
        </p>
      )}
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter(draft);
        }}
      >
        {(
          [
            ['observer', 'observer'],
            ['event', 'event id'],
            ['status', 'success, failure, 503, 5xx'],
            ['since', 'since (1h or ISO time)'],
          ] as const
        ).map(([name, placeholder]) => (
          <input
            key={name}
            name={name}
            placeholder={placeholder}
            value={draft[name]}
            onInput={(event) => {
              setDraft({ ...draft, [name]: event.currentTarget.value });
            }}
          />
        ))}
        <button type="submit">Apply</button>
      </form>
      {message !== undefined && (
        <p class="notice" data-testid="invocations-message">
          {message}
        </p>
      )}
      <InvocationTable
        rows={rows ?? []}
        open={open}
        onOpen={setOpen}
        actions={(row) => (
          <button
            type="button"
            data-action="redeliver"
            disabled={!operator}
            title={operator ? 'run this observer for this event again' : 'needs an operator token'}
            onClick={() => {
              redeliver(row);
            }}
          >
            redeliver
          </button>
        )}
      />
      {rows?.length === 0 && (
        <p class="muted" data-testid="invocations-empty">
          No action attempts match.
        </p>
      )}
      {dialog}
    </section>
  );
}
