import type { EmailActionConfig } from '../config/action-config.js';
import { ObserverError } from '../errors.js';
import type { ActionExecutor } from './action-executor.js';
import { abortable } from './abortable.js';
import { attemptSignal, timeoutMs } from './attempt-signal.js';
import { classifySmtpError } from './classify-error.js';
import {
  nodemailerTransport,
  smtpTransportOptions,
  type MailMessage,
  type MailSendInfo,
  type MailTransportFactory,
} from './mail-transport.js';
import type { TemplateContext } from '../templates/template-context.js';
import { renderOneAddress, renderRecipients } from './email-recipients.js';
import type { TemplateRenderer } from './template-renderer.js';

const NOT_PRINTABLE_ASCII = /[^\t\n\r\x20-\x7e]/;

/**
 * Quoted-printable for bodies of printable ASCII (readable on the wire, no growth), base64 for
 * anything else (at most a third larger, whatever the script). One regex test per body, no
 * allocation: the rendered body holds row data and may be megabytes long.
 */
function bodyEncoding(text: string, html: string | undefined): 'quoted-printable' | 'base64' {
  return NOT_PRINTABLE_ASCII.test(text) || (html !== undefined && NOT_PRINTABLE_ASCII.test(html))
    ? 'base64'
    : 'quoted-printable';
}

/** What {@link createEmailAction} needs. */
export interface EmailActionOptions {
  readonly templates: TemplateRenderer;
  /**
   * SMTP transport factory.
   * @defaultValue nodemailer's `createTransport` (an optional peer, imported on first use)
   */
  readonly transport?: MailTransportFactory | undefined;
  /**
   * Hears how each send went for the SMTP health: `undefined` when the server answered (even
   * with a rejection), the error when it could not be reached (network, timeout).
   */
  readonly onServerResult?: ((error: unknown) => void) | undefined;
}

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
        const { host, port } = smtpTransportOptions(config.smtp, 0);
        return `${host}:${port}`;
      } catch {
        return undefined;
      }
    },
    async execute(config, context) {
      const render = (template: string, templateContext: TemplateContext = 'text'): string =>
        options.templates.text(template, context.event, { context: templateContext });
      const timeout = timeoutMs(config.timeout, 30_000);
      const transportOptions = smtpTransportOptions(config.smtp, timeout);
      const target = `smtp ${transportOptions.host}:${transportOptions.port}`;
      const to = renderRecipients('to', config.to, options.templates, context.event);
      if (to.length === 0) {
        throw new ObserverError('TEMPLATE_ERROR', 'email.to: rendered to no recipient', {
          retryable: false,
          errorType: 'template',
        });
      }
      const cc =
        config.cc === undefined
          ? []
          : renderRecipients('cc', config.cc, options.templates, context.event);
      const text = render(config.text);
      const html = config.html === undefined ? undefined : render(config.html, 'html');
      const message: MailMessage = {
        from: renderOneAddress('from', config.from, options.templates, context.event),
        to,
        ...(cc.length === 0 ? {} : { cc }),
        subject: render(config.subject, 'header'),
        text,
        ...(html === undefined ? {} : { html }),
        textEncoding: bodyEncoding(text, html),
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
        options.onServerResult?.(undefined);
      } catch (error) {
        const failure = classifySmtpError(error, target, signal);
        const unreachable = failure.errorType === 'network' || failure.errorType === 'timeout';
        if (!signal.aborted || unreachable) {
          options.onServerResult?.(unreachable ? failure : undefined);
        }
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
