/** The services the FraiseQL test suites talk to. */
export type ServiceKind = 'postgres' | 'redis' | 'nats' | 'clickhouse';

/** A reachable service. */
export interface ServiceHandle {
  readonly kind: ServiceKind;
  /** Connection URL (`postgres://…`, `redis://…`, `nats://…`, `http://…` for ClickHouse). */
  readonly url: string;
  /** How it was found: from an env URL, on its standard loopback port, or started here. */
  readonly origin: 'env' | 'loopback' | 'started';
}

/** The environment variable holding each service's URL. */
export const ENV_VARS: Readonly<Record<ServiceKind, string>> = {
  postgres: 'DATABASE_URL',
  redis: 'REDIS_URL',
  nats: 'NATS_URL',
  clickhouse: 'CLICKHOUSE_URL',
};

/** Where each service answers on this machine by default. */
export const LOOPBACK_URLS: Readonly<Record<ServiceKind, string>> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/postgres',
  redis: 'redis://127.0.0.1:6379',
  nats: 'nats://127.0.0.1:4222',
  clickhouse: 'http://127.0.0.1:8123',
};

/** How to start each service locally, for the message printed when it is missing. */
export const HOW_TO_START: Readonly<Record<ServiceKind, string>> = {
  postgres:
    'pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start (or set DATABASE_URL)',
  redis:
    'redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no (or set REDIS_URL)',
  nats: 'nats-server -a 127.0.0.1 -p 4222 -js (or set NATS_URL)',
  clickhouse:
    'apt-get install -y clickhouse-server && clickhouse-server --daemon (or set CLICKHOUSE_URL)',
};
