import { describe, expect, it } from 'vitest';
import { ObserverError } from '../errors.js';
import {
  classifyError,
  classifyRedisError,
  classifySmtpError,
  httpStatusError,
  parseRetryAfter,
} from './classify-error.js';

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(['5', '9'], now)).toBe(5_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });
});

describe('httpStatusError', () => {
  it('accepts 2xx only', () => {
    expect(httpStatusError(204, {}, 'POST https://x')).toBeUndefined();
    expect(httpStatusError(302, {}, 'POST https://x')).toMatchObject({
      retryable: false,
      errorType: 'http_3xx',
    });
  });

  it.each([
    [500, true, 'http_5xx'],
    [503, true, 'http_5xx'],
    [408, true, 'http_4xx'],
    [429, true, 'http_429'],
    [400, false, 'http_4xx'],
    [401, false, 'http_4xx'],
    [404, false, 'http_4xx'],
    [410, false, 'http_4xx'],
  ])('HTTP %i → retryable %s, %s', (status, retryable, errorType) => {
    expect(httpStatusError(status, {}, 'POST https://x')).toMatchObject({ retryable, errorType });
  });

  it('honours Retry-After on retryable statuses only', () => {
    expect(httpStatusError(429, { 'retry-after': '7' }, 't')?.retryAfterMs).toBe(7_000);
    expect(httpStatusError(503, { 'retry-after': '1' }, 't')?.retryAfterMs).toBe(1_000);
    expect(httpStatusError(400, { 'retry-after': '7' }, 't')?.retryAfterMs).toBeUndefined();
  });
});

describe('classifyError', () => {
  const errno = (code: string, message = code): Error =>
    Object.assign(new Error(message), { code });

  it.each(['ECONNREFUSED', 'ECONNRESET', 'EAI_AGAIN', 'UND_ERR_SOCKET'])(
    '%s is a retryable network error',
    (code) => {
      expect(classifyError(errno(code), { target: 't' })).toMatchObject({
        retryable: true,
        errorType: 'network',
      });
    },
  );

  it('recognises timeouts and socket hang-ups', () => {
    expect(classifyError(errno('ETIMEDOUT'), { target: 't' })).toMatchObject({
      code: 'ACTION_TIMEOUT',
      retryable: true,
      errorType: 'timeout',
    });
    expect(classifyError(new Error('socket hang up'), { target: 't' })).toMatchObject({
      retryable: true,
      errorType: 'network',
    });
    expect(
      classifyError(new Error('x'), {
        target: 't',
        signal: AbortSignal.abort(new DOMException('t', 'TimeoutError')),
      }),
    ).toMatchObject({ code: 'ACTION_TIMEOUT', errorType: 'timeout', retryable: true });
  });

  it('reports the abort reason of the execution layer, or a shutdown as aborted', () => {
    const timeout = new ObserverError('ACTION_TIMEOUT', 'webhook action timed out after 10ms', {
      retryable: true,
      errorType: 'timeout',
    });
    expect(
      classifyError(new Error('aborted'), { target: 't', signal: AbortSignal.abort(timeout) }),
    ).toBe(timeout);
    expect(
      classifyError(new Error('aborted'), {
        target: 't',
        signal: AbortSignal.abort(new Error('shutdown')),
      }),
    ).toMatchObject({ code: 'ACTION_FAILED', retryable: true, errorType: 'aborted' });
  });

  it('finds the code in the cause chain', () => {
    const wrapped = new Error('fetch failed', { cause: errno('ECONNREFUSED') });
    expect(classifyError(wrapped, { target: 't' }).errorType).toBe('network');
  });

  it('keeps observer errors and labels template errors permanent', () => {
    const ssrf = new ObserverError('SSRF_BLOCKED', 'no', { errorType: 'ssrf' });
    expect(classifyError(ssrf, { target: 't' })).toBe(ssrf);
    expect(
      classifyError(new ObserverError('TEMPLATE_ERROR', 'missing data.x'), { target: 't' }),
    ).toMatchObject({
      code: 'TEMPLATE_ERROR',
      retryable: false,
      errorType: 'template',
    });
  });
});

describe('classifySmtpError', () => {
  const live = new AbortController().signal;
  const smtp = (fields: Record<string, unknown>): Error => Object.assign(new Error('smtp'), fields);

  it('follows the reply class: 4xx transient, 5xx permanent', () => {
    expect(classifySmtpError(smtp({ responseCode: 421 }), 't', live)).toMatchObject({
      retryable: true,
      errorType: 'smtp',
    });
    expect(classifySmtpError(smtp({ responseCode: 550 }), 't', live)).toMatchObject({
      retryable: false,
      errorType: 'smtp',
    });
  });

  it('treats authentication failures as permanent and connection failures as retryable', () => {
    expect(classifySmtpError(smtp({ code: 'EAUTH' }), 't', live)).toMatchObject({
      retryable: false,
      errorType: 'smtp',
    });
    expect(classifySmtpError(smtp({ code: 'ECONNECTION' }), 't', live)).toMatchObject({
      retryable: true,
      errorType: 'network',
    });
    expect(classifySmtpError(smtp({ code: 'ETIMEDOUT' }), 't', live)).toMatchObject({
      retryable: true,
      errorType: 'timeout',
    });
  });
});

describe('classifyRedisError', () => {
  const live = new AbortController().signal;
  const reply = (message: string): Error =>
    Object.assign(new Error(message), { name: 'ReplyError' });

  it('treats refused commands as permanent unless Redis says they are transient', () => {
    expect(
      classifyRedisError(reply('NOPERM this user has no permissions'), 't', live),
    ).toMatchObject({ retryable: false, errorType: 'redis' });
    expect(
      classifyRedisError(reply('LOADING Redis is loading the dataset'), 't', live),
    ).toMatchObject({ retryable: true, errorType: 'redis' });
    expect(classifyRedisError(new Error('Connection is closed.'), 't', live)).toMatchObject({
      retryable: true,
      errorType: 'redis',
    });
  });
});
