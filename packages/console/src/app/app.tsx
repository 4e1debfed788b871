import { useEffect, useState } from 'preact/hooks';
import { call, consoleUrl, onUnauthorised, storedToken, storeToken, type Session } from './api.js';
import { DeadLettersPage } from './pages/dead-letters-page.js';
import { EventsPage } from './pages/events-page.js';
import { HealthPage } from './pages/health-page.js';
import { InvocationsPage } from './pages/invocations-page.js';
import { ObserversPage } from './pages/observers-page.js';
import { ProjectionsPage } from './pages/projections-page.js';
import { QueuesPage } from './pages/queues-page.js';

const PAGES = [
  ['events', 'Events'],
  ['observers', 'Observers'],
  ['invocations', 'Invocations'],
  ['dead-letters', 'Dead letters'],
  ['queues', 'Queues'],
  ['projections', 'Projections'],
  ['health', 'Health'],
] as const;
type PageName = (typeof PAGES)[number][0];

function currentPage(): PageName {
  const name = location.hash.replace(/^#\/?/, '');
  return PAGES.find(([page]) => page === name)?.[0] ?? 'events';
}

export function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const [checking, setChecking] = useState(storedToken() !== undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [page, setPage] = useState<PageName>(currentPage());

  const signIn = async (token: string): Promise<void> => {
    try {
      const found = await call<Session>(consoleUrl('session'), { token });
      storeToken(token);
      setSession(found);
      setProblem(undefined);
    } catch (error) {
      storeToken(undefined);
      setSession(undefined);
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setChecking(false);
    }
  };

  useEffect(() => {
    onUnauthorised(() => {
      storeToken(undefined);
      setSession(undefined);
      setProblem('the token was refused; enter it again');
    });
    const token = storedToken();
    if (token !== undefined) void signIn(token);
    const onHash = (): void => {
      setPage(currentPage());
    };
    addEventListener('hashchange', onHash);
    return () => {
      removeEventListener('hashchange', onHash);
    };
  }, []);

  if (session === undefined) {
    return checking ? (
      <p class="muted">Checking the stored token…</p>
    ) : (
      <Login problem={problem} onToken={signIn} />
    );
  }
  const operator = session.role === 'operator';
  return (
    <div class="shell">
      <header>
        <strong>FraiseQL console</strong>
        <nav>
          {PAGES.map(([name, label]) => (
            <a key={name} href={`#/${name}`} class={name === page ? 'active' : ''} data-page={name}>
              {label}
            </a>
          ))}
        </nav>
        <span class="who" data-role={session.role}>
          {session.name} ({session.role})
        </span>
        <button
          type="button"
          class="link"
          onClick={() => {
            storeToken(undefined);
            setSession(undefined);
            setProblem(undefined);
          }}
        >
          Sign out
        </button>
      </header>
      {!operator && (
        <p class="notice" data-testid="read-only-notice">
          Read-only token: actions that change anything are disabled.
        </p>
      )}
      <main>
        {page === 'events' && <EventsPage session={session} />}
        {page === 'observers' && <ObserversPage session={session} />}
        {page === 'invocations' && <InvocationsPage session={session} />}
        {page === 'dead-letters' && <DeadLettersPage session={session} />}
        {page === 'queues' && <QueuesPage session={session} />}
        {page === 'projections' && <ProjectionsPage session={session} />}
        {page === 'health' && <HealthPage session={session} />}
      </main>
    </div>
  );
}

function Login(props: { problem: string | undefined; onToken: (token: string) => Promise<void> }) {
  const [token, setToken] = useState('');
  return (
    <form
      class="login"
      onSubmit={(event) => {
        event.preventDefault();
        void props.onToken(token.trim());
      }}
    >
      <h1>FraiseQL console</h1>
      <p>Paste an admin token (operator or read-only). It is kept in this tab only.</p>
      <input
        type="password"
        name="token"
        autocomplete="off"
        placeholder="admin token"
        value={token}
        onInput={(event) => {
          setToken(event.currentTarget.value);
        }}
      />
      <button type="submit" disabled={token.trim() === ''}>
        Sign in
      </button>
      {props.problem !== undefined && (
        <p class="error" role="alert">
          {props.problem}
        </p>
      )}
    </form>
  );
}
