import type { SmtpConfig } from '../config/action-config.js';
import { ObserverError } from '../errors.js';

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
  /**
   * Content-Transfer-Encoding of the text parts. Set, so nodemailer does not count every letter
   * of a body with a global regex match (seconds of blocked event loop on a multi-MB body).
   */
  readonly textEncoding?: 'quoted-printable' | 'base64';
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
 * Transport options from an email action's SMTP settings (a URL or host/port), with every
 * SMTP timeout set to `timeout`.
 *
 * @throws {ObserverError} `CONFIG_INVALID` when neither a valid URL nor a host is given.
 */
export function smtpTransportOptions(smtp: SmtpConfig, timeout: number): MailTransportOptions {
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
