/** What the reaper process runs and how it stops it. */
export interface ReaperConfig {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Run the service as this user (e.g. `postgres`, which refuses to run as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** The signal that asks the service for a clean, fast shutdown. */
  readonly stopSignal: NodeJS.Signals;
  /** SIGKILL the service when it has not stopped this long after `stopSignal`. */
  readonly killAfterMs: number;
  /** Removed (recursively) once the service has exited. */
  readonly removeDir?: string;
}
