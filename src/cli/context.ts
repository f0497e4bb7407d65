// What the entry module hands every command: the stop signal.
import type { StopSignal } from '../errors.js';

export interface CommandContext {
  /** aborted on the first SIGINT/SIGTERM/SIGHUP: commands stop and write what they have */
  signal: AbortSignal;
  /** which signal stopped the run (its exit code is 128 + its number), or null */
  stoppedBy: StopSignal | null;
}

const controller = new AbortController();
export const context: CommandContext = { signal: controller.signal, stoppedBy: null };

export function interrupt(by: StopSignal = 'SIGINT'): void {
  context.stoppedBy ??= by;
  controller.abort();
}
