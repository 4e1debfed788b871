import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { call, type Session } from '../api.js';
import { useConfirm } from '../confirm.js';

interface Observer {
  readonly name: string;
  readonly state: 'running' | 'paused' | 'disabled';
  readonly entity: string;
  readonly events: readonly string[];
  readonly description?: string;
}

const ACTIONS: Readonly<
  Record<Observer['state'], readonly ('pause' | 'resume' | 'enable' | 'disable')[]>
> = {
  running: ['pause', 'disable'],
  paused: ['resume', 'disable'],
  disabled: ['enable'],
};

export function ObserversPage(props: { session: Session }) {
  const admin = props.session.adminPath;
  const operator = props.session.role === 'operator';
  const [observers, setObservers] = useState<Observer[] | undefined>(undefined);
  const [origin, setOrigin] = useState('');
  const [dead, setDead] = useState<Readonly<Record<string, number>>>({});
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [ask, dialog] = useConfirm();

  const load = async (): Promise<void> => {
    try {
      const list = await call<{ origin: string; observers: Observer[] }>(`${admin}/observers`);
      const stats = await call<{ byObserver: Record<string, number> }>(`${admin}/dlq/stats`);
      setObservers(list.observers);
      setOrigin(list.origin);
      setDead(stats.byObserver);
      setProblem(undefined);
    } catch (error) {
      setProblem(String(error));
    }
  };
  useEffect(() => {
    return poll(load, 5000);
  }, []);

  return (
    <section>
      <h2>Observers</h2>
      {origin !== '' && <p class="muted">Config: {origin}</p>}
      {problem !== undefined && <p class="error">{problem}</p>}
      <table class="list">
        <thead>
          <tr>
            <th>name</th>
            <th>state</th>
            <th>entity</th>
            <th>events</th>
            <th>dead letters</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {(observers ?? []).map((observer) => (
            <tr key={observer.name} data-testid="observer-row" data-observer={observer.name}>
              <td>
                {observer.name}
                {observer.description !== undefined && (
                  <div class="muted">{observer.description}</div>
                )}
              </td>
              <td>
                <span class={`state state-${observer.state}`} data-testid="observer-state">
                  {observer.state}
                </span>
              </td>
              <td>{observer.entity}</td>
              <td>{observer.events.join(', ')}</td>
              <td>{dead[observer.name] ?? 0}</td>
              <td class="actions">
                {ACTIONS[observer.state].map((action) => (
                  <button
                    key={action}
                    type="button"
                    data-action={action}
                    disabled={!operator}
                    title={operator ? undefined : 'needs an operator token'}
                    onClick={() => {
                      ask({
                        question: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} observer ${observer.name}?`,
                        yes: action,
                        run: async () => {
                          try {
                            await call(
                              `${admin}/observers/${encodeURIComponent(observer.name)}/${action}`,
                              {
                                method: 'POST',
                              },
                            );
                          } catch (error) {
                            setProblem(String(error));
                          }
                          await load();
                        },
                      });
                    }}
                  >
                    {action}
                  </button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {dialog}
    </section>
  );
}
