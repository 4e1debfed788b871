import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { call, type Session } from '../api.js';
import { useConfirm } from '../confirm.js';

interface Attempt {
  readonly attempt: number;
  readonly at: string;
  readonly durationMs: number;
  readonly errorCode: string;
  readonly errorType: string;
  readonly error: string;
}

interface DeadLetter {
  readonly id: string;
  readonly observer: string;
  readonly actionIndex: number;
  readonly actionType: string;
  readonly errorCode: string;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly attempts: readonly Attempt[];
  readonly retryCount: number;
  readonly createdAt: string;
  readonly event: {
    readonly entityType: string;
    readonly entityId: string;
    readonly eventType: string;
  };
}

type RetryResult =
  | { readonly id: string; readonly status: 'succeeded'; readonly summary: string }
  | { readonly id: string; readonly status: 'failed'; readonly error: string }
  | { readonly id: string; readonly status: 'busy' };

function describeRetry(result: RetryResult): string {
  switch (result.status) {
    case 'succeeded':
      return `retried ${result.id}: delivered (${result.summary})`;
    case 'failed':
      return `retried ${result.id}: failed again: ${result.error}`;
    case 'busy':
      return `retried ${result.id}: another retry of it is running`;
  }
}

export function DeadLettersPage(props: { session: Session }) {
  const admin = props.session.adminPath;
  const operator = props.session.role === 'operator';
  const [draft, setDraft] = useState({ observer: '', entityType: '' });
  const [filter, setFilter] = useState(draft);
  const [items, setItems] = useState<DeadLetter[] | undefined>(undefined);
  const [detail, setDetail] = useState<DeadLetter | undefined>(undefined);
  const [message, setMessage] = useState<string | undefined>(undefined);
  const [ask, dialog] = useConfirm();
  const query = new URLSearchParams(
    Object.entries(filter).filter(([, value]) => value !== ''),
  ).toString();

  const load = async (): Promise<void> => {
    try {
      const list = await call<{ items: DeadLetter[] }>(`${admin}/dlq?limit=200&${query}`);
      setItems(list.items);
    } catch (error) {
      setMessage(String(error));
    }
  };
  useEffect(() => {
    return poll(load, 5000);
  }, [query]);

  const act = (
    question: string,
    yes: string,
    method: string,
    path: string,
    done: (body: unknown) => string,
  ) => {
    ask({
      question,
      yes,
      run: async () => {
        try {
          setMessage(done(await call(path, { method })));
        } catch (error) {
          setMessage(String(error));
        }
        setDetail(undefined);
        await load();
      },
    });
  };
  const denied = operator ? undefined : 'needs an operator token';

  return (
    <section>
      <h2>Dead letters</h2>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilter(draft);
        }}
      >
        <input
          name="observer"
          placeholder="observer"
          value={draft.observer}
          onInput={(event) => {
            setDraft({ ...draft, observer: event.currentTarget.value });
          }}
        />
        <input
          name="entityType"
          placeholder="entity"
          value={draft.entityType}
          onInput={(event) => {
            setDraft({ ...draft, entityType: event.currentTarget.value });
          }}
        />
        <button type="submit">Apply</button>
        <button
          type="button"
          data-action="retry-all"
          disabled={!operator || items?.length === 0}
          title={denied}
          onClick={() => {
            act(
              `Retry every dead letter${query === '' ? '' : ` matching ${query}`} (${items?.length ?? 0} shown)?`,
              'Retry all',
              'POST',
              `${admin}/dlq/retry-all?${query}`,
              (body) => {
                const totals = body as { succeeded: number; failed: number; busy: number };
                return `retry all: ${totals.succeeded} delivered, ${totals.failed} failed again, ${totals.busy} busy`;
              },
            );
          }}
        >
          Retry all
        </button>
      </form>
      {message !== undefined && (
        <p class="notice" data-testid="dlq-message">
          {message}
        </p>
      )}
      <table class="list">
        <thead>
          <tr>
            <th>created</th>
            <th>observer</th>
            <th>action</th>
            <th>event</th>
            <th>error</th>
            <th>retries</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(items ?? []).map((item) => (
            <tr key={item.id} data-testid="dlq-row" data-id={item.id} data-observer={item.observer}>
              <td>{item.createdAt}</td>
              <td>{item.observer}</td>
              <td>
                #{item.actionIndex} {item.actionType}
              </td>
              <td>
                {item.event.eventType} {item.event.entityType} {item.event.entityId}
              </td>
              <td>
                <code>{item.errorCode}</code> {item.errorMessage}
              </td>
              <td>{item.retryCount}</td>
              <td class="actions">
                <button
                  type="button"
                  data-action="detail"
                  onClick={() => {
                    void call<DeadLetter>(`${admin}/dlq/${encodeURIComponent(item.id)}`)
                      .then(setDetail)
                      .catch((error: unknown) => {
                        setMessage(String(error));
                      });
                  }}
                >
                  detail
                </button>
                <button
                  type="button"
                  data-action="retry"
                  disabled={!operator}
                  title={denied}
                  onClick={() => {
                    act(
                      `Retry the ${item.actionType} action of ${item.observer} for ${item.event.entityType} ${item.event.entityId}?`,
                      'Retry',
                      'POST',
                      `${admin}/dlq/${encodeURIComponent(item.id)}/retry`,
                      (body) => describeRetry(body as RetryResult),
                    );
                  }}
                >
                  retry
                </button>
                <button
                  type="button"
                  data-action="remove"
                  class="danger"
                  disabled={!operator}
                  title={denied}
                  onClick={() => {
                    act(
                      `Remove dead letter ${item.id} without retrying it?`,
                      'Remove',
                      'DELETE',
                      `${admin}/dlq/${encodeURIComponent(item.id)}`,
                      () => `removed ${item.id}`,
                    );
                  }}
                >
                  remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {items?.length === 0 && (
        <p class="muted" data-testid="dlq-empty">
          No dead letters.
        </p>
      )}
      {detail !== undefined && (
        <div class="detail" data-testid="dlq-detail">
          <h3>
            Dead letter {detail.id}{' '}
            <button
              type="button"
              class="link"
              onClick={() => {
                setDetail(undefined);
              }}
            >
              close
            </button>
          </h3>
          <h4>Attempts</h4>
          <table class="list">
            <thead>
              <tr>
                <th>#</th>
                <th>at</th>
                <th>ms</th>
                <th>code</th>
                <th>type</th>
                <th>error</th>
              </tr>
            </thead>
            <tbody>
              {detail.attempts.map((attempt) => (
                <tr key={`${attempt.at}-${attempt.attempt}`} data-testid="attempt-row">
                  <td>{attempt.attempt}</td>
                  <td>{attempt.at}</td>
                  <td>{attempt.durationMs}</td>
                  <td>{attempt.errorCode}</td>
                  <td>{attempt.errorType}</td>
                  <td>{attempt.error}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h4>Event</h4>
          <pre>{JSON.stringify(detail.event, null, 2)}</pre>
        </div>
      )}
      {dialog}
    </section>
  );
}
