// A running delayer (delayer.c) inside one namespace: start it, wait until it
// is bound to its queue, and read its counters and CPU time.
import type { ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { exited, waitForLine } from './exec.js';

export interface DelayerStats {
  namespace: string;
  packets: number;
  /** Accepted at once because the ring was full (not delayed). */
  overflow: number;
  /** Netlink receive buffer overruns (those packets failed open). */
  enobufs: number;
  /** How late packets were released against their due time. */
  lateMeanUs: number;
  lateMaxUs: number;
  /** Packets that came without the kernel's receive timestamp (their arrival is when the delayer read them). */
  unstamped: number;
  /** How long after the kernel stamped them packets were read: the wake-up the timestamps take out. */
  readMeanUs: number;
  readMaxUs: number;
  /** User + system CPU time the delayer has used so far. */
  cpuMs: number;
}

export interface DelayerProcess {
  readonly namespace: string;
  readonly pid: number;
  stats(): Promise<DelayerStats>;
}

const STATS_LINE =
  /^delayer: packets=(\d+) overflow=(\d+) enobufs=(\d+) batches=\d+ late_mean_us=(\d+) late_max_us=(\d+) unstamped=(\d+) read_mean_us=(\d+) read_max_us=(\d+)/;
// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux
// architecture that node runs on.
const CLOCK_TICKS_PER_S = 100;

/** Starts a delayer through `spawnIn` and resolves once it printed `ready`. */
export async function startDelayer(
  spawnIn: (command: string, args: string[]) => ChildProcess,
  namespace: string,
  binary: string,
  queueNum: number,
  delayMs: number,
): Promise<DelayerProcess> {
  const child = spawnIn(binary, [String(queueNum), String(delayMs)]);
  try {
    await waitForLine(child, /^ready$/, 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    await exited(child);
    throw new Error(`delayer in ${namespace} did not start: ${(err as Error).message}`);
  }
  let stderrLines: string[] = [];
  let pendingStderr = '';
  const waiters: Array<(line: string) => void> = [];
  child.stderr?.setEncoding('utf8').on('data', (data: string) => {
    const lines = (pendingStderr + data).split('\n');
    pendingStderr = lines.pop() ?? '';
    for (const line of lines) {
      if (STATS_LINE.test(line)) waiters.shift()?.(line);
      else stderrLines.push(line);
    }
    stderrLines = stderrLines.slice(-20);
  });
  const pid = child.pid!;
  return {
    namespace,
    pid,
    async stats() {
      const line = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`delayer in ${namespace} did not report its counters`)), 5_000);
        waiters.push((reported) => {
          clearTimeout(timer);
          resolve(reported);
        });
        child.kill('SIGUSR1');
      });
      const [, packets, overflow, enobufs, lateMean, lateMax, unstamped, readMean, readMax] = line.match(STATS_LINE)!;
      return {
        namespace,
        packets: Number(packets),
        overflow: Number(overflow),
        enobufs: Number(enobufs),
        lateMeanUs: Number(lateMean),
        lateMaxUs: Number(lateMax),
        unstamped: Number(unstamped),
        readMeanUs: Number(readMean),
        readMaxUs: Number(readMax),
        cpuMs: await cpuMsOf(pid),
      };
    },
  };
}

async function cpuMsOf(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) start at ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}
