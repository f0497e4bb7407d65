// `connload run <url|scenario.json>`: one phase from the command line, or every
// phase of a scenario file, with thresholds.
import { stat } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { UsageError, ValidationError } from '../errors.js';
import { buildPhasePlan } from '../plan/build-plan.js';
import type { RunOptionsInput } from '../plan/options.js';
import type { PhasePlan } from '../plan/types.js';
import { context } from './context.js';
import { executePlans, type OutputOptions } from './execute.js';
import { caProblem, readInputFile } from './input-files.js';
import { readMachineLimits } from './machine-limits.js';
import { outputPathProblems, type OutputPaths } from './output-paths.js';
import { cliName, reportFileOptions, runInputFromArgs, runOptions } from './run-options.js';
import { loadScenario, looksLikeScenarioPath, scenarioPhaseOptions } from './scenario.js';

export function outputOptions<T>(y: import('yargs').Argv<T>) {
  return reportFileOptions(y)
    .option('json', { type: 'string', requiresArg: true, describe: 'write the result document to a file, or - for stdout', group: 'Output' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no live progress', group: 'Output' });
}

/** A --unix-socket path must be a socket that exists now: one line otherwise, before anything is sent. */
async function checkUnixSocket(what: string, file: string | undefined): Promise<void> {
  if (typeof file !== 'string' || file === '') return; // the plan names a bad value
  let kind: string;
  try {
    const s = await stat(file);
    if (s.isSocket()) return;
    kind = s.isDirectory() ? 'a directory' : s.isFile() ? 'a regular file' : 'not a socket';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    kind = code === 'ENOENT' ? 'no such file' : `unreadable (${code})`;
  }
  throw new UsageError(`${what}: expected a Unix domain socket, ${JSON.stringify(file)} is ${kind}`);
}

/** Builds every phase's plan; problems of all phases (and `earlier` ones, such as output paths) are reported together. */
export async function plansFor(target: string, cli: RunOptionsInput, earlier: string[] = []): Promise<PhasePlan[]> {
  const inputs: Array<{ name: string; url: string; options: RunOptionsInput; where: (k: string) => string }> = [];
  if (looksLikeScenarioPath(target)) {
    const scenario = await loadScenario(target);
    scenarioPhaseOptions(scenario).forEach((phase, i) => {
      const { name, ...options } = phase;
      inputs.push({
        name,
        url: scenario.target,
        options: { ...options, ...cli, threshold: [...(options.threshold ?? []), ...(cli.threshold ?? [])] },
        where: (k) => (k === 'url' ? 'target' : k === 'threshold' ? `thresholds.${name}` : `phases[${i}].${k}`),
      });
    });
  } else {
    inputs.push({ name: cli.strategy ?? 'persistent', url: target, options: cli, where: cliName });
  }
  const problems: string[] = [...earlier];
  const plans: PhasePlan[] = [];
  const limits = readMachineLimits();
  for (const input of inputs) {
    try {
      // every file's problem at once, not only the first one's
      const [bodyRead, caRead, socketCheck] = await Promise.allSettled([
        readInputFile(input.where('bodyFile'), input.options.bodyFile),
        readInputFile(input.where('ca'), input.options.ca),
        checkUnixSocket(input.where('unixSocket'), input.options.unixSocket),
      ]);
      for (const r of [bodyRead, caRead, socketCheck]) {
        if (r.status === 'fulfilled') continue;
        if (!(r.reason instanceof UsageError)) throw r.reason;
        if (!problems.includes(r.reason.message)) problems.push(r.reason.message);
      }
      // the plan is still built, without what could not be read, for the problems of the other options
      const body = bodyRead.status === 'fulfilled' ? bodyRead.value : null;
      const ca = caRead.status === 'fulfilled' ? caRead.value : null;
      const caPem = ca?.toString('utf8') ?? null;
      const badCa = caPem === null ? null : caProblem(input.where('ca'), input.options.ca!, caPem);
      if (badCa !== null && !problems.includes(badCa)) problems.push(badCa);
      plans.push(buildPhasePlan({ ...input, bodyFileBytes: body, caPem, limits, proxyEnv: process.env, where: input.where }));
    } catch (err) {
      if (err instanceof ValidationError) problems.push(...err.problems);
      else if (err instanceof UsageError) problems.push(err.message);
      else throw err;
    }
  }
  if (problems.length === 0) return plans;
  if (looksLikeScenarioPath(target)) throw new ValidationError(`invalid scenario ${target}`, problems);
  if (problems.length === 1) throw new UsageError(problems[0]!);
  throw new ValidationError('invalid options', problems);
}

export const runCommand: CommandModule = {
  command: 'run <target>',
  describe: 'run a load phase against a URL, or every phase of a scenario file',
  builder: (y) =>
    outputOptions(runOptions(y))
      .positional('target', { type: 'string', describe: 'http(s) URL or scenario .json file' })
      .example('$0 run http://127.0.0.1:8080/', 'persistent connections, 10 connections, 10 s')
      .example('$0 run http://127.0.0.1:8080/ -s new-connection -c 6 -n 1000', 'browser-style parallel connections')
      .example('$0 run scenarios/keepalive-vs-new.json --json result.json', 'every phase of a scenario'),
  handler: async (argv) => {
    const a = argv as unknown as Record<string, unknown> & { target: string };
    const plans = await plansFor(a.target, runInputFromArgs(a), await outputPathProblems(a as OutputPaths));
    await executePlans(plans, a as unknown as OutputOptions, context.signal);
  },
};
