// connload on both sides of a lab: `connload serve` in the server namespace,
// `connload run` in the client namespace (the built CLI, as a user runs it).
import type { ChildProcess } from 'node:child_process';
import { BIN, runJson, type CliOptions, type CliResult } from '../helpers/cli.js';
import { waitForLine } from './exec.js';
import type { Lab } from './lab.js';
import type { ResultDocument } from '../../src/metrics/result.js';

export interface LabServer {
  /** e.g. `http://10.200.1.1:41234` (no trailing slash). */
  url: string;
  child: ChildProcess;
}

/** Starts `connload serve --host <server address> --port 0 ...args`; destroy() stops it. */
export async function startServeInLab(lab: Lab, args: string[] = []): Promise<LabServer> {
  const child = lab.spawnInServer(process.execPath, [BIN, 'serve', '--host', lab.serverAddress, '--port', '0', ...args]);
  const match = await waitForLine(child, /listening on (http:\/\/\S+?)\/?$/, 15_000);
  return { url: match[1]!, child };
}

/** Runs connload with `--json - --quiet` in the client namespace and parses the result. */
export function runJsonInLab(lab: Lab, args: string[], options: CliOptions = {}): Promise<CliResult & { result: ResultDocument }> {
  return runJson(args, { ...options, prefix: lab.clientPrefix });
}
