import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { call, type Session } from '../api.js';
import { InvocationTable, type Invocation } from './invocation-detail.js';

interface Verdict {
  readonly observer: string;
  readonly state: string;
  readonly matched: boolean;
  readonly entityMatches: boolean;
  readonly eventMatches: boolean;
  readonly condition?: {
    readonly source: string;
    readonly result: boolean;
    readonly clauses: readonly {
      readonly source: string;
      readonly column: number;
      readonly result: boolean;
      readonly values?: readonly unknown[];
    }[];
  };
  readonly conditionError?: string;
  readonly actions: readonly string[];
}

interface Explanation {
  readonly observers: readonly Verdict[];
  readonly invocations: readonly Invocation[];
}

const yes = (ok: boolean) => <span class={ok ? 'ok' : 'no'}>{ok ? 'yes' : 'no'}</span>;

/** The observers an event matched and why (the debug-event explanation), and its invocations. */
export function EventExplanation(props: { session: Session; eventId: string }) {
  const [found, setFound] = useState<Explanation | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [open, setOpen] = useState<string | undefined>(undefined);
  useEffect(() => {
    const load = async (): Promise<void> => {
      try {
        setFound(
          await call<Explanation>(
            `${props.session.adminPath}/events/${encodeURIComponent(props.eventId)}`,
          ),
        );
      } catch (error) {
        setProblem(String(error));
      }
    };
    // Invocations arrive after the event: look again while the detail is open.
    return poll(load, 3000);
  }, [props.eventId]);
  if (problem !== undefined) return <p class="error">{problem}</p>;
  if (found === undefined) return <p class="muted">Explaining…</p>;
  return (
    <div data-testid="event-explanation">
      <h4>Observers</h4>
      <table class="list">
        <thead>
          <tr>
            <th>observer</th>
            <th>state</th>
            <th>matched</th>
            <th>entity</th>
            <th>kind</th>
            <th>condition</th>
            <th>actions</th>
          </tr>
        </thead>
        <tbody>
          {found.observers.map((verdict) => (
            <tr
              key={verdict.observer}
              data-testid="verdict-row"
              data-observer={verdict.observer}
              data-matched={String(verdict.matched)}
            >
              <td>{verdict.observer}</td>
              <td>{verdict.state}</td>
              <td>{yes(verdict.matched)}</td>
              <td>{yes(verdict.entityMatches)}</td>
              <td>{yes(verdict.eventMatches)}</td>
              <td>
                {verdict.conditionError !== undefined && (
                  <span class="error">{verdict.conditionError}</span>
                )}
                {verdict.condition === undefined ? (
                  verdict.conditionError === undefined ? (
                    <span class="muted">none</span>
                  ) : null
                ) : (
                  <>
                    <code>{verdict.condition.source}</code> ⇒ {yes(verdict.condition.result)}
                    {verdict.condition.clauses.map((clause) => (
                      <div key={clause.column} class="muted">
                        col {clause.column}: <code>{clause.source}</code> ⇒ {yes(clause.result)}
                        {clause.values === undefined
                          ? ''
                          : ` (${clause.values.map((value) => (value === undefined ? 'undefined' : JSON.stringify(value))).join(' vs ')})`}
                      </div>
                    ))}
                  </>
                )}
              </td>
              <td>{verdict.actions.join(', ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h4>Invocations</h4>
      {found.invocations.length === 0 ? (
        <p class="muted" data-testid="event-invocations-empty">
          No action attempts for this event yet.
        </p>
      ) : (
        <InvocationTable rows={found.invocations} open={open} onOpen={setOpen} />
      )}
    </div>
  );
}
