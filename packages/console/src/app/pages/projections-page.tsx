import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { ApiError, call, type Session } from '../api.js';

interface Projection {
  readonly projection: string;
  readonly kind: 'tv' | 'ta';
  readonly refreshMode: 'trigger' | 'scheduled' | 'manual';
  readonly sourceView: string;
  readonly projectionRows: number;
  readonly sourceRows: number;
  readonly lastRefreshAt: string | null;
  readonly lastChangeAt: string | null;
  readonly stalenessSeconds: number | null;
  readonly checkable: boolean;
}

interface ProjectionList {
  readonly installed: boolean;
  readonly projections: readonly Projection[];
}

interface CheckResult {
  readonly missing: number;
  readonly extra: number;
  readonly different: number;
  readonly inSync: boolean;
  readonly samples: Readonly<Record<'missing' | 'extra' | 'different', readonly string[]>>;
  readonly checkedAt: string;
  readonly durationMs: number;
}

type CheckState =
  | { readonly running: true }
  | { readonly running: false; readonly result?: CheckResult; readonly problem?: string };

function duration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86_400).toFixed(1)} d`;
}

function staleness(p: Projection): string {
  if (p.refreshMode === 'trigger') return 'none (trigger-maintained)';
  if (p.stalenessSeconds === null) return 'unknown (never fully refreshed)';
  return duration(p.stalenessSeconds);
}

function when(iso: string | null, none: string): string {
  return iso === null ? none : new Date(iso).toLocaleString();
}

export function ProjectionsPage(props: { session: Session }) {
  const admin = props.session.adminPath;
  const [list, setList] = useState<ProjectionList | undefined>(undefined);
  const [absent, setAbsent] = useState(false);
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [checks, setChecks] = useState<Readonly<Record<string, CheckState>>>({});

  useEffect(() => {
    const load = async (): Promise<void> => {
      try {
        setList(await call<ProjectionList>(`${admin}/projections`));
        setProblem(undefined);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) setAbsent(true);
        else setProblem(String(error));
      }
    };
    return poll(load, 10_000);
  }, []);

  const check = async (name: string): Promise<void> => {
    setChecks((previous) => ({ ...previous, [name]: { running: true } }));
    let state: CheckState;
    try {
      const result = await call<CheckResult>(
        `${admin}/projections/${encodeURIComponent(name)}/check`,
        { method: 'POST' },
      );
      state = { running: false, result };
    } catch (error) {
      state = { running: false, problem: String(error) };
    }
    setChecks((previous) => ({ ...previous, [name]: state }));
  };

  if (absent) return <p class="muted">This server has no projections API.</p>;
  return (
    <section>
      <h2>Projections</h2>
      {problem !== undefined && <p class="error">{problem}</p>}
      {list === undefined && problem === undefined && <p class="muted">Loading…</p>}
      {list !== undefined && !list.installed && (
        <p class="muted" data-testid="projections-none">
          No projections installed: this database has no <code>projection_status()</code> (generate
          it with <code>@fraiseql/ddl-gen</code>&apos;s <code>generateMonitoringDdl</code>).
        </p>
      )}
      {list?.installed === true && list.projections.length === 0 && (
        <p class="muted" data-testid="projections-none">
          No projections registered yet.
        </p>
      )}
      {list !== undefined && list.projections.length > 0 && (
        <>
          <p class="muted">
            Last full refresh is recorded by <code>rebuild_…()</code>; trigger-maintained
            projections are refreshed row by row in each writer&apos;s transaction and record none.
            The check compares the whole projection with its source view.
          </p>
          <table class="list">
            <thead>
              <tr>
                <th>projection</th>
                <th>refresh</th>
                <th>rows</th>
                <th>source rows</th>
                <th>last full refresh</th>
                <th>last change</th>
                <th>staleness</th>
                <th>divergence</th>
              </tr>
            </thead>
            <tbody>
              {list.projections.map((p) => {
                const state = checks[p.projection];
                return (
                  <tr
                    key={p.projection}
                    data-testid="projection-row"
                    data-projection={p.projection}
                  >
                    <td>
                      {p.projection}
                      <div class="muted">from {p.sourceView}</div>
                    </td>
                    <td>{p.refreshMode}</td>
                    <td>{p.projectionRows}</td>
                    <td>{p.sourceRows}</td>
                    <td>{when(p.lastRefreshAt, p.refreshMode === 'trigger' ? 'n/a' : 'never')}</td>
                    <td>{when(p.lastChangeAt, '—')}</td>
                    <td>{staleness(p)}</td>
                    <td class="actions" data-testid="projection-check">
                      <button
                        type="button"
                        data-action="check"
                        disabled={!p.checkable || state?.running === true}
                        title={p.checkable ? undefined : 'no check function installed'}
                        onClick={() => void check(p.projection)}
                      >
                        {state?.running === true ? 'Checking…' : 'Check now'}
                      </button>
                      {state !== undefined && !state.running && (
                        <CheckOutcome result={state.result} problem={state.problem} />
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

function CheckOutcome(props: { result: CheckResult | undefined; problem: string | undefined }) {
  if (props.problem !== undefined) return <div class="error">{props.problem}</div>;
  const result = props.result;
  if (result === undefined) return null;
  const at = `${new Date(result.checkedAt).toLocaleTimeString()}, ${result.durationMs} ms`;
  if (result.inSync) {
    return (
      <div data-testid="check-result" data-in-sync="true">
        in sync <span class="muted">({at})</span>
      </div>
    );
  }
  return (
    <div data-testid="check-result" data-in-sync="false">
      <span class="error">
        {result.missing} missing, {result.extra} extra, {result.different} different
      </span>{' '}
      <span class="muted">({at})</span>
      {(['missing', 'extra', 'different'] as const).map((problem) =>
        result.samples[problem].length === 0 ? null : (
          <div key={problem} class="muted">
            {problem}: {result.samples[problem].join(', ')}
          </div>
        ),
      )}
    </div>
  );
}
