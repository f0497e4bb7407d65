// The entry module: the only place that exits the process. Commands throw;
// errors become exit codes here (0 ok, 1 threshold failed, 2 bad input,
// 3 run failed, 129/130/143 stopped by SIGHUP/SIGINT/SIGTERM).
import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConnloadError, EXIT, STOP_SIGNALS, UsageError, type StopSignal } from './errors.js';
import { interrupt } from './cli/context.js';
import { compareCommand } from './cli/compare.js';
import { demoCommand } from './cli/demo.js';
import { findCommand } from './cli/find.js';
import { mergeCommand } from './cli/merge.js';
import { probeCommand } from './cli/probe.js';
import { reportCommand } from './cli/report.js';
import { runCommand } from './cli/run.js';
import { serveCommand } from './cli/serve.js';
import { TOOL_VERSION } from './version.js';

// yargs' CommonJS build: its ESM build wraps help text at the width without regard to words
// ("pipelini" / "ng"); the CommonJS one wraps between words (wrap-ansi).
const yargs = createRequire(import.meta.url)('yargs/yargs') as (args: string[]) => Argv;

let stops = 0;
for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[]) {
  process.on(signal, () => {
    // First signal: stop and write the partial report. Second: leave now, whatever the workers do
    // (process.exit ends their threads too).
    if (++stops > 1) process.exit(STOP_SIGNALS[signal]);
    interrupt(signal);
  });
}

// A reader that went away (`connload run --json - | head -c 10`, `| true`): EPIPE on stdout or stderr.
// Nothing more can be shown there; the files asked for are still written, and the exit code is the run's.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
    throw err;
  });
}

async function main(argv: string[]): Promise<number> {
  try {
    await yargs(argv)
      .scriptName('connload')
      .usage('$0 <command> [options]\n\nHTTP load testing of the connection layer: handshakes, reuse, pipelining, HTTP/2, TIME_WAIT.')
      .command(runCommand)
      .command(probeCommand)
      .command(serveCommand as never)
      .command(demoCommand)
      .command(reportCommand)
      .command(compareCommand)
      .command(mergeCommand)
      .command(findCommand as never)
      .demandCommand(1, 'give a command: run, serve, demo, probe, report, compare, merge, find (see --help)')
      .strict()
      .version(TOOL_VERSION)
      .help()
      .alias('h', 'help')
      // the terminal's width, at most 120; 100 when the help goes to a file or a pipe
      .wrap(Math.min(120, process.stdout.columns ?? 100))
      .fail((message, err) => {
        // yargs' own complaints (missing value, unknown option) are bad input; our errors keep their code.
        throw err instanceof ConnloadError ? err : new UsageError(message ?? err?.message ?? 'invalid command line');
      })
      .parseAsync();
    return EXIT.ok;
  } catch (err) {
    if (err instanceof ConnloadError) {
      process.stderr.write(`connload: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`connload: internal error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.runFailed;
  }
}

process.exitCode = await main(hideBin(process.argv));
