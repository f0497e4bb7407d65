// `connload merge <result.json>... -o <out>`: joins the results of several runners
// (--runner-index i --runner-count n) exactly and evaluates thresholds on the whole load.
import type { CommandModule } from 'yargs';
import { ThresholdFailedError } from '../errors.js';
import { mergeResults } from '../metrics/merge.js';
import { parseThresholds, thresholdFailures } from '../metrics/thresholds.js';
import { writeOutputs } from './execute.js';
import { assertOutputsWritable } from './output-paths.js';
import { readResultFile } from './report.js';
import { reportFileOptions } from './run-options.js';

interface MergeArgs {
  results: string[];
  out: string;
  threshold?: string[];
  html?: string;
  hgrm?: string;
  junit?: string;
}

export const mergeCommand: CommandModule = {
  command: 'merge <results..>',
  describe: 'merge the results of several runners (--runner-index/--runner-count) exactly, and check thresholds on the whole',
  builder: (y) =>
    reportFileOptions(y)
      .positional('results', { type: 'string', array: true, describe: 'result documents written by --json, one per runner' })
      .option('out', { alias: 'o', type: 'string', requiresArg: true, demandOption: true, describe: 'write the merged result document here', group: 'Output' })
      .option('threshold', {
        alias: 't',
        type: 'string',
        array: true,
        nargs: 1,
        describe: 'a threshold checked on the merged data, e.g. "ttfb.p99 < 100ms" (repeatable)',
        group: 'Thresholds',
      })
      .example('$0 merge results/*.json -o merged.json', 'one result for the load of every runner')
      .example('$0 merge a.json b.json -o merged.json --threshold "ttfb.p99 < 100ms"', 'a threshold on the merged percentiles'),
  handler: async (argv) => {
    const a = argv as unknown as MergeArgs;
    const thresholds = parseThresholds(a.threshold ?? []); // every bad expression at once, before any file is read
    await assertOutputsWritable({ json: a.out, html: a.html, hgrm: a.hgrm, junit: a.junit });
    const docs = await Promise.all(a.results.map((file) => readResultFile(file)));
    const merged = mergeResults(docs, thresholds, a.results);
    const partial = a.results.filter((_, i) => docs[i]!.interrupted);
    if (partial.length > 0)
      process.stderr.write(`connload: warning: ${partial.join(', ')} ${partial.length > 1 ? 'were' : 'was'} interrupted: the merged result is partial (ok: false)\n`);
    await writeOutputs(merged, { json: a.out, html: a.html, hgrm: a.hgrm, junit: a.junit, quiet: true });
    const failed = thresholdFailures(merged.phases);
    if (failed.length > 0)
      throw new ThresholdFailedError(`${failed.length} threshold${failed.length > 1 ? 's' : ''} failed on the merged data:\n  ${failed.join('\n  ')}`);
  },
};
