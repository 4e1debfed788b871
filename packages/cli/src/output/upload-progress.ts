import { clearStatus, redrawStatus, type Terminal } from './terminal.js';

/** Reports how much of an upload has been sent. */
export interface UploadProgress {
  /** `rows` sent so far; `fraction` of the input read (0–1) when known. */
  update(rows: number, fraction?: number): void;
  /** Clears the line (TTY) and stops. */
  done(): void;
}

/**
 * Upload progress on standard error: one line redrawn in place on a TTY; elsewhere a plain line
 * each time another `every` rows have been sent, so logs stay short. Silent when `quiet`.
 */
export function createUploadProgress(
  terminal: Terminal,
  label: string,
  options: { quiet?: boolean; every?: number } = {},
): UploadProgress {
  const every = options.every ?? 100_000;
  let reported = 0;
  const line = (rows: number, fraction: number | undefined) =>
    `${label}: ${rows.toLocaleString('en-US')} row(s) sent${
      fraction === undefined ? '' : ` (${String(Math.floor(Math.min(1, fraction) * 100))}%)`
    }`;
  return {
    update(rows, fraction) {
      if (options.quiet === true) return;
      if (terminal.interactive) {
        redrawStatus(terminal, line(rows, fraction));
        return;
      }
      if (Math.floor(rows / every) > Math.floor(reported / every)) {
        terminal.err(`${line(rows, fraction)}\n`);
      }
      reported = rows;
    },
    done() {
      if (options.quiet !== true && terminal.interactive) clearStatus(terminal);
    },
  };
}
