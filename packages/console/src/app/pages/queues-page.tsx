import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { ApiError, call, type Session } from '../api.js';

interface QueueStats {
  readonly queue: string;
  readonly waiting: number;
  readonly active: number;
  readonly delayed: number;
  readonly completed: number;
  readonly failed: number;
  readonly paused: number;
  readonly deadLettered: number;
}

const COLUMNS = [
  'waiting',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'deadLettered',
] as const;

export function QueuesPage(props: { session: Session }) {
  const [queues, setQueues] = useState<readonly QueueStats[] | undefined>(undefined);
  const [absent, setAbsent] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);

  useEffect(() => {
    const load = async (): Promise<void> => {
      try {
        const body = await call<{ queues: readonly QueueStats[] }>(
          `${props.session.adminPath}/queue/stats`,
        );
        setQueues(body.queues);
        setProblem(undefined);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) setAbsent(true);
        else setProblem(String(error));
      }
    };
    return poll(load, 5000);
  }, []);

  if (absent)
    return <p class="muted">No job queue is configured on this server (it needs Redis).</p>;
  return (
    <section>
      <h2>Queues</h2>
      {problem !== undefined && <p class="error">{problem}</p>}
      <table class="list">
        <thead>
          <tr>
            <th>queue</th>
            {COLUMNS.map((column) => (
              <th key={column}>{column === 'deadLettered' ? 'dead-lettered' : column}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {(queues ?? []).map((queue) => (
            <tr key={queue.queue} data-testid="queue-row">
              <td>{queue.queue}</td>
              {COLUMNS.map((column) => (
                <td key={column}>{queue[column]}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
