import type { EmailActionConfig, SmtpConfig } from '../config/action-config.js';
import { ObserverError, isObserverError } from '../errors.js';
import type { ActionExecutor } from './action-executor.js';
import { abortable } from './abortable.js';
import { attemptSignal, timeoutMs } from './attempt-signal.js';
import { classifyError } from './classify-error.js';
import type { TemplateRenderer } from './template-renderer.js';

/** One message as handed to the SMTP transport. */
export interface MailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc?: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly messageId?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the SMTP server said about a message (nodemailer's `SentMessageInfo` slice). */
export interface MailSendInfo {
  readonly accepted: readonly (string | { readonly address: string })[];
  readonly rejected: readonly (string | { readonly address: string })[];
  readonly messageId?: string;
  readonly response?: string;
}

/** The slice of a nodemailer transport the email action uses. */
export interface MailTransport {
  sendMail(message: MailMessage): Promise<MailSendInfo>;
  close(): void;
}

/** Options for one SMTP transport (nodemailer's SMTP transport options slice). */
export interface MailTransportOptions {
  readonly host: string;
  readonly port: number;
  readonly secure: boolean;
  readonly auth?: { readonly user: string; readonly pass: string };
  readonly connectionTimeout: number;
  readonly greetingTimeout: number;
  readonly socketTimeout: number;
}

/** Creates an SMTP transport; the default lazily loads `nodemailer`. */
export type MailTransportFactory = (options: MailTransportOptions) => Promise<MailTransport>;

/** What {@link createEmailAction} needs. */
export interface EmailActionOptions {
  readonly templates: TemplateRenderer;
  /**
   * SMTP transport factory.
   * @defaultValue nodemailer's `createTransport` (an optional peer, imported on first use)
   */
  readonly transport?: MailTransportFactory;
}

/** Creates transports with nodemailer, importing it on first use. */
export const nodemailerTransport: MailTransportFactory = async (options) => {
  let nodemailer: { createTransport(options: object): MailTransport };
  try {
    const loaded = (await import('nodemailer')) as unknown as {
      default: { createTransport(options: object): MailTransport };
    };
    nodemailer = loaded.default;
  } catch (cause) {
    throw new ObserverError(
      'ACTION_UNSUPPORTED',
      'action type "email" needs nodemailer: npm install nodemailer',
      { cause, retryable: false, errorType: 'smtp' },
    );
  }
  return nodemailer.createTransport({ ...options });
};

/**
 * The `email` action: renders `from`/`to`/`cc`/`subject`/`text`/`html` and sends one message
 * through SMTP; a success only when the server accepted it for at least one recipient.
 * The `Message-ID` is derived from the event, observer and action index, so a retried send
 * carries the same id. Recipient addresses are never logged.
 */
export function createEmailAction(options: EmailActionOptions): ActionExecutor<EmailActionConfig> {
  const createTransport = options.transport ?? nodemailerTransport;
  return {
    type: 'email',
    endpoint: (config) => {
      try {
        const { host, port } = smtpTarget(config.smtp, 0);
        return `${host}:${port}`;
      } catch {
        return undefined;
      }
    },
    async execute(config, context) {
      const render = (template: string): string => options.templates.text(template, context.event);
      const list = (value: string | readonly string[]): string[] =>
        (typeof value === 'string' ? [value] : [...value]).map(render).filter((to) => to !== '');
      const timeout = timeoutMs(config.timeout, 30_000);
      const transportOptions = smtpTarget(config.smtp, timeout);
      const target = `smtp ${transportOptions.host}:${transportOptions.port}`;
      const to = list(config.to);
      if (to.length === 0) {
        throw new ObserverError('TEMPLATE_ERROR', 'email.to: rendered to no recipient', {
          retryable: false,
          errorType: 'template',
        });
      }
      const cc = config.cc === undefined ? [] : list(config.cc);
      const message: MailMessage = {
        from: render(config.from),
        to,
        ...(cc.length === 0 ? {} : { cc }),
        subject: render(config.subject),
        text: render(config.text),
        ...(config.html === undefined ? {} : { html: render(config.html) }),
        messageId: `<${encodeURIComponent(context.event.id)}.${encodeURIComponent(context.observer)}.${context.actionIndex}@fraiseql>`,
      };
      using attempt = attemptSignal(context.signal, timeout);
      const signal = attempt.signal;
      const logFields = {
        action: 'email',
        observer: context.observer,
        actionIndex: context.actionIndex,
        attempt: context.attempt,
        eventId: context.event.id,
        target,
        recipients: to.length + cc.length,
      };
      let info: MailSendInfo;
      const transport = await createTransport(transportOptions);
      try {
        info = await abortable(transport.sendMail(message), signal);
      } catch (error) {
        const failure = classifySmtpError(error, target, signal);
        context.logger.warn(
          { ...logFields, errorType: failure.errorType, retryable: failure.retryable },
          `email failed: ${failure.message}`,
        );
        throw failure;
      } finally {
        transport.close();
      }
      if (info.accepted.length === 0) {
        const failure = new ObserverError(
          'ACTION_FAILED',
          `${target}: the server accepted the message for no recipient (${info.rejected.length} rejected)`,
          { retryable: false, errorType: 'smtp' },
        );
        context.logger.warn(
          { ...logFields, errorType: 'smtp' },
          `email failed: ${failure.message}`,
        );
        throw failure;
      }
      if (info.rejected.length > 0) {
        context.logger.warn(
          { ...logFields, accepted: info.accepted.length, rejected: info.rejected.length },
          'email accepted for some recipients only',
        );
      } else {
        context.logger.debug({ ...logFields, accepted: info.accepted.length }, 'email sent');
      }
      return {
        summary: `${target} accepted ${info.accepted.length} recipient(s)`,
        details: {
          accepted: info.accepted.length,
          rejected: info.rejected.length,
          ...(info.messageId === undefined ? {} : { messageId: info.messageId }),
        },
      };
    },
  };
}

/** Transport options from the action's SMTP settings (URL or host/port). */
function smtpTarget(smtp: SmtpConfig, timeout: number): MailTransportOptions {
  let host = smtp.host;
  let port = smtp.port;
  let secure = smtp.secure;
  let user = smtp.user;
  let password = smtp.password;
  if (smtp.url !== undefined) {
    let url: URL;
    try {
      url = new URL(smtp.url);
    } catch (cause) {
      throw new ObserverError('CONFIG_INVALID', 'email.smtp.url: not a valid URL', {
        cause,
        retryable: false,
        errorType: 'config',
      });
    }
    host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    secure ??= url.protocol === 'smtps:';
    port ??= url.port === '' ? (secure ? 465 : 587) : Number(url.port);
    if (url.username !== '') user ??= decodeURIComponent(url.username);
    if (url.password !== '') password ??= decodeURIComponent(url.password);
  }
  if (host === undefined || host === '') {
    throw new ObserverError('CONFIG_INVALID', 'email.smtp: needs url, urlEnv or host', {
      retryable: false,
      errorType: 'config',
    });
  }
  secure ??= port === 465;
  return {
    host,
    port: port ?? (secure ? 465 : 587),
    secure,
    ...(user === undefined ? {} : { auth: { user, pass: password ?? '' } }),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
  };
}

/**
 * SMTP replies: 4xx is transient, 5xx permanent; authentication and message errors are
 * permanent; connection and timeout errors are retryable.
 */
function classifySmtpError(error: unknown, target: string, signal: AbortSignal): ObserverError {
  if (isObserverError(error)) return error;
  if (signal.aborted) return classifyError(error, { target, signal });
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  if (typeof responseCode === 'number') {
    const retryable = responseCode >= 400 && responseCode < 500;
    return new ObserverError('ACTION_FAILED', `${target} replied ${responseCode}`, {
      cause: error,
      retryable,
      errorType: 'smtp',
      details: { responseCode },
    });
  }
  if (code === 'EAUTH' || code === 'EENVELOPE' || code === 'EMESSAGE') {
    return new ObserverError('ACTION_FAILED', `${target}: ${code}`, {
      cause: error,
      retryable: false,
      errorType: 'smtp',
    });
  }
  if (code === 'ETIMEDOUT') {
    return new ObserverError('ACTION_TIMEOUT', `${target}: timed out`, {
      cause: error,
      retryable: true,
      errorType: 'timeout',
    });
  }
  if (code === 'ECONNECTION' || code === 'ESOCKET' || code === 'EDNS' || code === 'ETLS') {
    return new ObserverError('ACTION_FAILED', `${target}: network error ${code}`, {
      cause: error,
      retryable: true,
      errorType: 'network',
    });
  }
  return classifyError(error, { target, signal });
}
