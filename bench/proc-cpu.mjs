// CPU time of processes on this host (PostgreSQL backends, Redis, a ClickHouse server), read
// from /proc: on a shared, loaded machine it moves far less than wall-clock time.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICK_MS = 1000 / Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** CPU milliseconds (user + system) process `pid` has used so far; NaN once it is gone. */
export function processCpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: the fields start after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return Number.NaN;
  }
}

/**
 * The processes of this host that `match(cmdline, comm)` accepts (`cmdline` with its NUL
 * separators, `comm` the short name), as pids.
 */
export function findProcesses(match) {
  const pids = [];
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
      if (match(cmdline, comm)) pids.push(Number(pid));
    } catch {
      // The process ended between the listing and the read.
    }
  }
  return pids;
}
