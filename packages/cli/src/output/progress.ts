import { clearStatus, redrawStatus, type Terminal } from './terminal.js';

/** Reports the progress of a long operation. */
export interface Progress {
  /** One more item finished, with a short description of it. */
  tick(label: string): void;
  /** Clears the bar (TTY) and stops. */
  done(): void;
}

const WIDTH = 28;

/**
 * A progress bar redrawn on standard error when it is a TTY; elsewhere one plain line per item
 * (`[3/10] label`), so logs of CI runs stay readable. Silent with `--json` (`quiet`).
 */
export function createProgress(
  terminal: Terminal,
  title: string,
  total: number,
  quiet = false,
): Progress {
  let current = 0;
  return {
    tick(label) {
      current += 1;
      if (quiet) return;
      if (!terminal.interactive) {
        terminal.err(`[${String(current)}/${String(total)}] ${label}\n`);
        return;
      }
      const ratio = total === 0 ? 1 : Math.min(1, current / total);
      const filled = Math.round(ratio * WIDTH);
      const bar = `${'█'.repeat(filled)}${'░'.repeat(WIDTH - filled)}`;
      redrawStatus(terminal, `${title} ${bar} ${String(current)}/${String(total)} ${label}`);
    },
    done() {
      if (!quiet && terminal.interactive) clearStatus(terminal);
    },
  };
}
