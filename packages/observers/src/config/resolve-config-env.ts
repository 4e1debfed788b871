import { valueAt } from './value-at.js';

/** Environment variables as config loading reads them. */
export type ConfigEnv = Readonly<Record<string, string | undefined>>;

interface EnvProblem {
  readonly path: PropertyKey[];
  readonly message: string;
}

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const WEBHOOK_SECRET = /^whsec_[A-Za-z0-9+/]+={0,2}$/;

/**
 * Resolves environment references of a config: `urlEnv`, `webhookUrlEnv`, `redisUrlEnv`,
 * `secretEnv`, `smtp.urlEnv`, `smtp.passwordEnv`, top-level `redis.urlEnv` and `${VAR}` in
 * webhook headers. Works on any value (also one that failed validation, to report every
 * problem at once) and returns a resolved copy plus the problems found.
 */
export function resolveConfigEnv(
  config: unknown,
  env: ConfigEnv,
): { value: unknown; problems: EnvProblem[] } {
  const problems: EnvProblem[] = [];
  if (!isRecord(config)) return { value: config, problems };
  const read = (name: unknown, path: PropertyKey[]): string | undefined => {
    if (typeof name !== 'string') return undefined;
    const value = env[name];
    if (value === undefined || value === '') {
      problems.push({
        path,
        message: `environment variable ${name} is ${value === undefined ? 'not set' : 'empty'}`,
      });
      return undefined;
    }
    return value;
  };
  const url = (
    name: unknown,
    path: PropertyKey[],
    protocols: readonly string[],
  ): string | undefined => {
    const value = read(name, path);
    if (value === undefined) return undefined;
    if (!isUrl(value, protocols)) {
      problems.push({
        path,
        message: `environment variable ${String(name)} is not a ${protocols.join('/')} URL`,
      });
      return undefined;
    }
    return value;
  };

  const out: Record<string, unknown> = { ...config };
  let redisUrl: string | undefined;
  if (isRecord(config.redis)) {
    const { urlEnv, ...rest } = config.redis;
    redisUrl =
      typeof rest.url === 'string'
        ? rest.url
        : url(urlEnv, ['redis', 'urlEnv'], ['redis', 'rediss']);
    out.redis = redisUrl === undefined ? rest : { ...rest, url: redisUrl };
  }
  if (isRecord(config.observers)) {
    const observers: Record<string, unknown> = {};
    for (const [name, observer] of Object.entries(config.observers)) {
      const actions = valueAt(observer, ['actions']);
      if (!isRecord(observer) || !Array.isArray(actions)) {
        observers[name] = observer;
        continue;
      }
      observers[name] = {
        ...observer,
        actions: actions.map((action: unknown, index) => {
          const path: PropertyKey[] = ['observers', name, 'actions', index];
          return isRecord(action)
            ? resolveAction(action, path, { read, url, problems, redisUrl })
            : action;
        }),
      };
    }
    out.observers = observers;
  }
  return { value: out, problems };
}

interface Resolver {
  readonly read: (name: unknown, path: PropertyKey[]) => string | undefined;
  readonly url: (
    name: unknown,
    path: PropertyKey[],
    protocols: readonly string[],
  ) => string | undefined;
  problems: EnvProblem[];
  redisUrl: string | undefined;
}

function resolveAction(
  action: Record<string, unknown>,
  path: PropertyKey[],
  resolver: Resolver,
): Record<string, unknown> {
  const { read, url } = resolver;
  switch (action.type) {
    case 'webhook': {
      const out: Record<string, unknown> = { ...action };
      if (action.urlEnv !== undefined && action.url === undefined) {
        out.url = url(action.urlEnv, [...path, 'urlEnv'], ['http', 'https']);
      }
      if (isRecord(action.headers)) {
        out.headers = Object.fromEntries(
          Object.entries(action.headers).map(([header, value]) => [
            header,
            typeof value === 'string'
              ? value.replace(
                  ENV_REFERENCE,
                  (_, name: string) => read(name, [...path, 'headers', header]) ?? '',
                )
              : value,
          ]),
        );
      }
      if (isRecord(action.signing)) {
        const { secretEnv, secrets } = action.signing;
        const names: unknown[] = Array.isArray(secretEnv)
          ? secretEnv
          : secretEnv === undefined
            ? []
            : [secretEnv];
        const fromEnv = names.map((name, index) => {
          const where = [
            ...path,
            'signing',
            'secretEnv',
            ...(Array.isArray(secretEnv) ? [index] : []),
          ];
          const secret = read(name, where);
          if (secret !== undefined && !WEBHOOK_SECRET.test(secret)) {
            resolver.problems.push({
              path: where,
              message: `environment variable ${String(name)} is not a Standard Webhooks secret "whsec_<base64>"`,
            });
          }
          return secret;
        });
        out.signing = {
          secrets: [
            ...(Array.isArray(secrets) ? (secrets as unknown[]) : []),
            ...fromEnv.filter((secret) => secret !== undefined),
          ],
        };
      }
      return out;
    }
    case 'slack': {
      const { webhookUrlEnv, ...rest } = action;
      if (webhookUrlEnv === undefined) return rest;
      return {
        ...rest,
        webhookUrl: url(webhookUrlEnv, [...path, 'webhookUrlEnv'], ['http', 'https']),
      };
    }
    case 'email': {
      if (!isRecord(action.smtp)) return action;
      const { urlEnv, passwordEnv, ...smtp } = action.smtp;
      const smtpPath = [...path, 'smtp'];
      const resolvedUrl =
        urlEnv === undefined ? smtp.url : url(urlEnv, [...smtpPath, 'urlEnv'], ['smtp', 'smtps']);
      const password =
        passwordEnv === undefined ? undefined : read(passwordEnv, [...smtpPath, 'passwordEnv']);
      return {
        ...action,
        smtp: {
          ...smtp,
          ...(resolvedUrl === undefined ? {} : { url: resolvedUrl }),
          ...(password === undefined ? {} : { password }),
        },
      };
    }
    case 'cache': {
      const { redisUrlEnv, ...rest } = action;
      const redisUrl =
        typeof rest.redisUrl === 'string'
          ? rest.redisUrl
          : redisUrlEnv === undefined
            ? resolver.redisUrl
            : url(redisUrlEnv, [...path, 'redisUrlEnv'], ['redis', 'rediss']);
      return redisUrl === undefined ? rest : { ...rest, redisUrl };
    }
    default:
      return action;
  }
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(text).protocol.slice(0, -1));
  } catch {
    return false;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
