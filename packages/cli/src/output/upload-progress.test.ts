import { describe, expect, it } from 'vitest';
import type { Terminal } from './terminal.js';
import { createUploadProgress } from './upload-progress.js';

function terminal(interactive: boolean): Terminal & { errors: string[] } {
  const errors: string[] = [];
  return {
    errors,
    out: () => undefined,
    err: (text) => errors.push(text),
    interactive,
    color: false,
  };
}

describe('createUploadProgress', () => {
  it('prints a plain line each time another `every` rows are sent when not a TTY', () => {
    const t = terminal(false);
    const progress = createUploadProgress(t, 'tb_order', { every: 1000 });
    for (const rows of [400, 800, 1200, 1600, 2000, 3500]) progress.update(rows, rows / 4000);
    progress.done();
    expect(t.errors).toEqual([
      'tb_order: 1,200 row(s) sent (30%)\n',
      'tb_order: 2,000 row(s) sent (50%)\n',
      'tb_order: 3,500 row(s) sent (87%)\n',
    ]);
  });

  it('redraws one line on a TTY, clears it when done, and is silent when quiet', () => {
    const t = terminal(true);
    const progress = createUploadProgress(t, 'tb_order');
    progress.update(10);
    progress.done();
    expect(t.errors).toEqual(['\r\u001b[2Ktb_order: 10 row(s) sent', '\r\u001b[2K']);
    const quiet = terminal(true);
    createUploadProgress(quiet, 'x', { quiet: true }).update(5);
    expect(quiet.errors).toEqual([]);
  });
});
