import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SignalFanout } from './signal-fanout.js';

describe('SignalFanout', () => {
  it('keeps one listener on a parent however many children it has', () => {
    const fanout = new SignalFanout();
    const parent = new AbortController();
    const links = Array.from({ length: 100 }, () => fanout.link([parent.signal]));
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    links.slice(50).forEach((link) => {
      link.dispose();
    });
    const reason = new Error('stop');
    parent.abort(reason);
    expect(links.slice(0, 50).every((link) => link.signal.reason === reason)).toBe(true);
    expect(links.slice(50).some((link) => link.signal.aborted)).toBe(false);
  });

  it('follows any of several parents, starts aborted after an aborted parent, and aborts alone', () => {
    const fanout = new SignalFanout();
    const a = new AbortController();
    const b = new AbortController();
    const link = fanout.link([a.signal, undefined, b.signal]);
    b.abort('b');
    expect(link.signal.reason).toBe('b');
    expect(fanout.link([b.signal]).signal.aborted).toBe(true);
    const own = fanout.link([a.signal]);
    own.abort('mine');
    expect(own.signal.reason).toBe('mine');
    expect(a.signal.aborted).toBe(false);
  });
});

describe('SignalFanout.join', () => {
  it('tells joined children of the abort once, and not the ones that left', () => {
    const fanout = new SignalFanout();
    const parent = new AbortController();
    const told: unknown[] = [];
    const stay = { parentAborted: (reason: unknown) => told.push(['stay', reason]) };
    const gone = { parentAborted: (reason: unknown) => told.push(['gone', reason]) };
    expect(fanout.join(parent.signal, stay)).toBe(true);
    expect(fanout.join(parent.signal, gone)).toBe(true);
    fanout.leave(parent.signal, gone);
    expect(getEventListeners(parent.signal, 'abort')).toHaveLength(1);
    parent.abort('stop');
    expect(told).toEqual([['stay', 'stop']]);
    expect(fanout.join(parent.signal, stay)).toBe(false);
  });
});
