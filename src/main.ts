// The entry module: the only place that exits the process. Commands throw;
// errors become exit codes here (0 ok, 1 threshold failed, 2 bad input,
// 3 run failed, 130 interrupted).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ConnloadError, EXIT, UsageError } from './errors.js';
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

let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // First Ctrl-C: stop and write the partial report. Second: leave now.
    if (++interrupts > 1) process.exit(EXIT.interrupted);
    interrupt();
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
