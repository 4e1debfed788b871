import { useEffect, useState } from 'preact/hooks';
import { poll } from '../poll.js';
import { call, consoleUrl, type Session } from '../api.js';

interface Service {
  readonly name: string;
  readonly kind: string;
  readonly state: string;
  readonly since: string;
  readonly target?: string;
  readonly outages: number;
  readonly lastError?: { readonly message: string; readonly at: string };
}

interface Health {
  readonly state: string;
  readonly healthy: boolean;
  readonly inFlight: number;
  readonly queued: number;
  readonly lagEvents: number;
  readonly lagSeconds: number;
  readonly sources: readonly {
    readonly kind: string;
    readonly lagEvents?: number;
    readonly lagSeconds?: number;
  }[];
  readonly services: readonly Service[];
}

interface Rates {
  readonly metric: string;
  readonly intervalSeconds: number;
  readonly samples: readonly {
    readonly at: string;
    readonly perSecond: number;
    readonly lagSeconds?: number;
  }[];
}

export function HealthPage(props: { session: Session }) {
  const [health, setHealth] = useState<Health | undefined>(undefined);
  const [rates, setRates] = useState<Rates | undefined>(undefined);
  const [problem, setProblem] = useState<string | undefined>(undefined);

  useEffect(() => {
    const load = async (): Promise<void> => {
      try {
        setHealth(await call<Health>(props.session.healthPath));
        if (props.session.rates) setRates(await call<Rates>(consoleUrl('rates')));
        setProblem(undefined);
      } catch (error) {
        setProblem(String(error));
      }
    };
    return poll(load, 5000);
  }, []);

  return (
    <section>
      <h2>Health</h2>
      {problem !== undefined && <p class="error">{problem}</p>}
      {health !== undefined && (
        <>
          <p data-testid="runtime-state">
            Runtime{' '}
            <span class={`state state-${health.healthy ? 'running' : 'paused'}`}>
              {health.state}
            </span>{' '}
            {health.healthy ? 'healthy' : 'not healthy'} · in flight {health.inFlight} · queued{' '}
            {health.queued} · lag {health.lagEvents} events / {health.lagSeconds.toFixed(1)} s
          </p>
          <h3>Sources</h3>
          <table class="list">
            <thead>
              <tr>
                <th>source</th>
                <th>state</th>
                <th>lag (events)</th>
                <th>lag (s)</th>
              </tr>
            </thead>
            <tbody>
              {health.sources.map((source, index) => (
                <tr key={index} data-testid="source-row" data-source={source.kind}>
                  <td>{source.kind}</td>
                  <td>
                    {source.lagEvents === undefined ? (
                      <span class="state state-disabled">not answering</span>
                    ) : (
                      <span class="state state-running">reading</span>
                    )}
                  </td>
                  <td>{source.lagEvents ?? '?'}</td>
                  <td>{source.lagSeconds?.toFixed(1) ?? '?'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Connections</h3>
          <table class="list">
            <thead>
              <tr>
                <th>connection</th>
                <th>kind</th>
                <th>state</th>
                <th>since</th>
                <th>target</th>
                <th>outages</th>
                <th>last error</th>
              </tr>
            </thead>
            <tbody>
              {health.services.map((service) => (
                <tr key={service.name} data-testid="service-row" data-service={service.name}>
                  <td>{service.name}</td>
                  <td>{service.kind}</td>
                  <td>
                    <span class={`state state-${service.state === 'up' ? 'running' : 'disabled'}`}>
                      {service.state}
                    </span>
                  </td>
                  <td>{service.since}</td>
                  <td>{service.target ?? ''}</td>
                  <td>{service.outages}</td>
                  <td>
                    {service.lastError === undefined
                      ? ''
                      : `${service.lastError.at}: ${service.lastError.message}`}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {health.services.length === 0 && (
            <p class="muted">
              No connection reports its state here (Redis, NATS and SMTP connections do).
            </p>
          )}
        </>
      )}
      {rates !== undefined && <RateChart rates={rates} />}
    </section>
  );
}

function RateChart(props: { rates: Rates }) {
  const { samples, intervalSeconds } = props.rates;
  const width = 600;
  const height = 120;
  const peak = Math.max(0, ...samples.map((sample) => sample.perSecond));
  const max = Math.max(1, peak);
  const step = width / Math.max(1, samples.length - 1);
  const points = samples
    .map(
      (sample, index) =>
        `${(index * step).toFixed(1)},${(height - (sample.perSecond / max) * height).toFixed(1)}`,
    )
    .join(' ');
  const latest = samples.at(-1)?.perSecond;
  const lags = samples.map((sample) => sample.lagSeconds ?? 0);
  const lagPeak = Math.max(0, ...lags);
  const lagMax = Math.max(1, lagPeak);
  const lagPoints = lags
    .map(
      (lag, index) =>
        `${(index * step).toFixed(1)},${(height - (lag / lagMax) * height).toFixed(1)}`,
    )
    .join(' ');
  const lagLatest = samples.at(-1)?.lagSeconds;
  return (
    <div class="chart">
      <h3>
        Events/s over the last {Math.round((samples.length * intervalSeconds) / 60) || 1} min{' '}
        <span class="muted" data-testid="rate-latest" data-peak={String(peak)}>
          now {latest === undefined ? '–' : latest.toFixed(2)}, peak {peak.toFixed(2)}
        </span>
      </h3>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label="events per second"
      >
        <polyline points={points} fill="none" class="line" />
      </svg>
      <h3>
        Capture lag (s){' '}
        <span class="muted" data-testid="lag-latest" data-peak={String(lagPeak)}>
          now {lagLatest === undefined ? '–' : lagLatest.toFixed(2)}, peak {lagPeak.toFixed(2)}
        </span>
      </h3>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        width={width}
        height={height}
        role="img"
        aria-label="capture lag in seconds"
        data-testid="lag-chart"
      >
        <polyline points={lagPoints} fill="none" class="line lag" />
      </svg>
    </div>
  );
}
