import type { ServiceKind } from './service-kind.js';

/** How to run one service binary in a fresh temp dir on a given port. */
export interface LaunchPlan {
  readonly kind: ServiceKind;
  readonly command: string;
  readonly args: readonly string[];
  /** The URL the service answers on once up. */
  readonly url: string;
  readonly stopSignal: NodeJS.Signals;
  readonly uid?: number;
  readonly gid?: number;
  /** One-off set-up before the server starts (e.g. `initdb`). */
  readonly prepare?: () => Promise<void>;
}

/** Builds the {@link LaunchPlan} for a service in `dir` on `port`; throws when it cannot run here. */
export type LaunchPlanner = (dir: string, port: number) => Promise<LaunchPlan>;
