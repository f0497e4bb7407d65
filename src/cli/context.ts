// What the entry module hands every command: the Ctrl-C signal.
export interface CommandContext {
  /** aborted on the first SIGINT/SIGTERM: commands stop and write what they have */
  signal: AbortSignal;
}

const controller = new AbortController();
export const context: CommandContext = { signal: controller.signal };

export function interrupt(): void {
  controller.abort();
}
