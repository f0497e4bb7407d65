// `connload probe <url>`: discovers how a server treats connections (DESIGN.md, Probe).
import { writeFile } from 'node:fs/promises';
import type { CommandModule } from 'yargs';
import { InterruptedError, UsageError, ValidationError } from '../errors.js';
import { parseTarget } from '../plan/target.js';
import { MAX_TIMER_MS } from '../plan/limits.js';
import { formatMs, parseDurationMs } from '../units.js';
import { CHECK_NAMES, probeBoundMs, runProbe, SEQUENTIAL_CHECKS } from '../probe/probe.js';
import { renderProbe } from '../probe/render.js';
import { colorLevel } from '../report/style.js';
import { context } from './context.js';
import { assertOutputsWritable } from './output-paths.js';
import { caProblem, readInputFile } from './input-files.js';

const DEFAULT_TIMEOUT = '5s';
const DEFAULT_IDLE_MAX = '20s';

interface ProbeArgs {
  url: string;
  timeout: string;
  'idle-max': string;
  insecure: boolean;
  ca?: string;
  servername?: string;
  json?: string;
  quiet: boolean;
}

const defaultBound = formatMs(probeBoundMs(parseDurationMs(DEFAULT_TIMEOUT)!, parseDurationMs(DEFAULT_IDLE_MAX)!));

export const probeCommand: CommandModule = {
  command: 'probe <url>',
  describe: 'discover how a server treats connections: keep-alive, limits, idle timeout, pipelining, h2',
  builder: (y) =>
    y
      .positional('url', { type: 'string', describe: 'http(s) URL; every request goes to this path (one that echoes headers also shows hop-by-hop handling)' })
      .option('timeout', { type: 'string', default: DEFAULT_TIMEOUT, describe: 'time limit of each check', group: 'Probe' })
      .option('idle-max', { type: 'string', default: DEFAULT_IDLE_MAX, describe: 'how long to wait for the server to close an idle connection', group: 'Probe' })
      .option('insecure', { alias: 'k', type: 'boolean', default: false, describe: 'do not verify TLS certificates', group: 'TLS' })
      .option('ca', { type: 'string', describe: 'PEM file of a CA to trust', group: 'TLS' })
      .option('servername', { type: 'string', describe: 'TLS SNI name (and the name the certificate must match)', group: 'TLS' })
      .option('json', { type: 'string', requiresArg: true, describe: 'write the probe result to a file, or - for stdout', group: 'Output' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no progress on stderr', group: 'Output' })
      .epilog(
        `Bounded in time: the probe ends within 2 x --timeout (DNS, connect) + max(${SEQUENTIAL_CHECKS.length} x --timeout, 3 x --timeout + 2 x --idle-max), ` +
          `${defaultBound} with the defaults; most servers take a few seconds plus their idle timeout.`,
      )
      .example('$0 probe http://127.0.0.1:8080/', 'every check, as a table')
      .example('$0 probe https://staging.example.com/ --idle-max 70s --json probe.json', 'wait longer for the idle close, save the result'),
  handler: async (argv) => {
    const a = argv as unknown as ProbeArgs;
    const { timeoutMs, idleMaxMs, displayUrl } = checkArgs(a);
    await assertOutputsWritable({ json: a.json });
    const caPem = a.ca === undefined ? null : await readCa(a.ca);
    const stderr = process.stderr;
    const progress = !a.quiet && stderr.isTTY === true;
    let result;
    try {
      result = await runProbe({
        url: a.url,
        timeoutMs,
        idleMaxMs,
        insecure: a.insecure,
        caPem,
        servername: a.servername ?? null,
        signal: context.signal,
        // Said once the target is reached: an unreachable target gets just the one error line.
        onReachable: a.quiet
          ? undefined
          : (address) => stderr.write(`probe ${displayUrl} (${address}): ${CHECK_NAMES.length} checks, at most ${formatMs(probeBoundMs(timeoutMs, idleMaxMs))}\n`),
        onCheck: progress ? (name, i, total) => stderr.write(`\r\x1b[2Kchecking ${name} (${i + 1}/${total})`) : undefined,
      });
    } catch (err) {
      if (context.signal.aborted) throw new InterruptedError(context.stoppedBy ?? undefined);
      throw err;
    } finally {
      if (progress) stderr.write('\r\x1b[2K');
    }
    const tableStream = a.json === '-' ? stderr : process.stdout;
    tableStream.write(renderProbe(result, { colorLevel: colorLevel(tableStream), columns: tableStream.columns }));
    const jsonText = `${JSON.stringify(result, null, 2)}\n`;
    if (a.json === '-') process.stdout.write(jsonText);
    else if (a.json !== undefined) await writeFile(a.json, jsonText);
    if (result.interrupted) throw new InterruptedError(context.stoppedBy ?? undefined);
  },
};

/** Every bad input at once, before anything is sent. */
function checkArgs(a: ProbeArgs): { timeoutMs: number; idleMaxMs: number; displayUrl: string } {
  const problems: string[] = [];
  const target = parseTarget(a.url);
  if (typeof target === 'string') problems.push(`url: ${target}`);
  const duration = (option: string, value: string): number => {
    const ms = parseDurationMs(value, 's');
    if (ms === null || ms <= 0) problems.push(`--${option}: expected a duration > 0 like 5s or 500ms, got ${JSON.stringify(value)}`);
    else if (ms > MAX_TIMER_MS)
      problems.push(`--${option}: expected at most ${MAX_TIMER_MS} ms, about 24.8 days (the longest delay Node's timers take), got ${JSON.stringify(value)}`);
    return ms ?? 0;
  };
  const timeoutMs = duration('timeout', a.timeout);
  const idleMaxMs = duration('idle-max', a['idle-max']);
  if (problems.length === 1) throw new UsageError(problems[0]!);
  if (problems.length > 1) throw new ValidationError('invalid options', problems);
  // the URL as every output shows it: a password in it redacted
  return { timeoutMs, idleMaxMs, displayUrl: typeof target === 'string' ? '' : target.url };
}

async function readCa(file: string): Promise<string> {
  const pem = (await readInputFile('--ca', file))!.toString('utf8');
  const problem = caProblem('--ca', file, pem);
  if (problem !== null) throw new UsageError(problem);
  return pem;
}
