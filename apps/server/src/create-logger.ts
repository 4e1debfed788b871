import { pino, type Logger } from 'pino';

/**
 * The server's logger: coloured, human-readable lines through pino-pretty when standard output
 * is a terminal, one JSON object per line otherwise (log collectors, pipes, CI). `LOG_FORMAT`
 * (`pretty` or `json`) overrides the choice.
 */
export function createLogger(level: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const format = env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (format !== 'pretty') return pino({ level, base: null });
  return pino({
    level,
    base: null,
    transport: {
      target: 'pino-pretty',
      options: {
        colorize: env.NO_COLOR === undefined || env.NO_COLOR === '',
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname',
        singleLine: true,
      },
    },
  });
}
