// Errors with stable codes. Only src/main.ts turns them into exit codes.

export const EXIT = {
  ok: 0,
  thresholdFailed: 1,
  usage: 2,
  runFailed: 3,
  /** SIGHUP (the terminal went away): 128 + 1 */
  hangup: 129,
  /** SIGINT (Ctrl-C): 128 + 2 */
  interrupted: 130,
  /** SIGTERM (kill, a CI runner cancelling): 128 + 15 */
  terminated: 143,
} as const;

/** The signals that stop a run and write the partial report, with their exit codes (128 + number, as shells do). */
export const STOP_SIGNALS = { SIGHUP: EXIT.hangup, SIGINT: EXIT.interrupted, SIGTERM: EXIT.terminated } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

export class ConnloadError extends Error {
  readonly code: string;
  readonly exitCode: number;
  constructor(message: string, code: string, exitCode: number) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input: options, scenario, threshold expression. Nothing was sent. Exit 2. */
export class UsageError extends ConnloadError {
  constructor(message: string, code = 'EUSAGE') {
    super(message, code, EXIT.usage);
  }
}

/** Several input problems reported at once (scenario validation). Exit 2. */
export class ValidationError extends UsageError {
  readonly problems: string[];
  constructor(what: string, problems: string[]) {
    super(problems.length === 1 ? `${what}: ${problems[0]}` : `${what}:\n${problems.map((p) => `  ${p}`).join('\n')}`, 'EVALIDATION');
    this.problems = problems;
  }
}

/** The run could not be done: target unreachable at start, TLS refused, internal error. Exit 3. */
export class RunError extends ConnloadError {
  constructor(message: string, code = 'ERUN') {
    super(message, code, EXIT.runFailed);
  }
}

/** One or more thresholds failed; the reports were written. Exit 1. */
export class ThresholdFailedError extends ConnloadError {
  constructor(message: string) {
    super(message, 'ETHRESHOLD', EXIT.thresholdFailed);
  }
}

/** Ctrl-C, SIGTERM or SIGHUP: the partial report was written. Exit 130, 143 or 129. */
export class InterruptedError extends ConnloadError {
  constructor(signal: StopSignal = 'SIGINT') {
    super(`interrupted${signal === 'SIGINT' ? '' : ` by ${signal}`}: the partial report was written`, 'EINTERRUPTED', STOP_SIGNALS[signal]);
  }
}
