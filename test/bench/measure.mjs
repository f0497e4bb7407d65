// Runs one load generator pinned to a core, with the file-descriptor limit raised,
// and measures it from outside through /proc: CPU time in a window (all threads),
// peak RSS (VmHWM: threads share the process's memory) and peak open descriptors.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_S = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
const RSS_POLL_MS = 100;
const FD_POLL_MS = 500;

/**
 * The script a child runs under: the fd limit BENCH_NOFILE asks for where it can be had (raising the
 * hard limit needs CAP_SYS_RESOURCE), else the highest allowed; then exec (same PID) on the given cores.
 */
const PIN_SCRIPT =
  '[ -n "$BENCH_NOFILE" ] && ulimit -n "$BENCH_NOFILE" 2>/dev/null; ulimit -n "$(ulimit -Hn)" 2>/dev/null; core="$1"; shift; exec taskset -c "$core" "$@"';

/** The open-file limit a child gets when it asks for `wanted` (the hard limit caps it without CAP_SYS_RESOURCE). */
export function reachableFileLimit(wanted) {
  const out = execFileSync('bash', ['-c', `ulimit -n ${Number(wanted)} 2>/dev/null; ulimit -n "$(ulimit -Hn)" 2>/dev/null; ulimit -n`], { encoding: 'utf8' });
  const n = Number(out.trim());
  return Number.isFinite(n) ? Math.min(n, wanted) : wanted;
}

/** Spawns argv pinned to `cores` (e.g. "1"); the returned child's PID is the program's own. */
export function spawnPinned(argv, { cores, env, stdio = ['ignore', 'pipe', 'pipe'] }) {
  return spawn('bash', ['-c', PIN_SCRIPT, 'bench', String(cores), ...argv], { env: { ...process.env, ...env }, stdio });
}

/** user and system CPU seconds of a whole process (every thread, also those that ended), or null. */
export function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(fields[11]) / CLOCK_TICKS_PER_S, system: Number(fields[12]) / CLOCK_TICKS_PER_S };
  } catch {
    return null;
  }
}

function statusKb(pid, field) {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

function openFds(pid) {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return null;
  }
}

/**
 * Runs argv to its end (or kills it by PID after timeoutMs) and returns its output with:
 * - cpu: CPU seconds spent between cpuWindowMs[0] and cpuWindowMs[1] after the start, and that window's
 *   wall length (start-up and shut-down are left out, so tools with heavy start-up are not penalised);
 * - peakRssBytes: VmHWM, read until the process ends;  - peakFds: most open descriptors seen.
 */
/** The first process named `node` at or below `pid` (a program run under `script` is its grandchild). */
function nodeDescendant(pid) {
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift();
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'node') return p;
      queue.push(...readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      // gone, or not there yet
    }
  }
  return null;
}

/**
 * measure: 'self' (the spawned program) or 'node-descendant' (the node process it starts).
 */
export async function runMeasured(argv, { cores, env = {}, cpuWindowMs = null, timeoutMs, measure = 'self' }) {
  const child = spawnPinned(argv, { cores, env });
  let pid = child.pid;
  if (measure === 'node-descendant') {
    for (let tries = 0; tries < 50; tries++) {
      const found = nodeDescendant(child.pid);
      if (found !== null) {
        pid = found;
        break;
      }
      await sleep(20);
    }
  }
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  const startedMs = performance.now();
  let peakRssKb = 0;
  let peakFds = 0;
  const rssTimer = setInterval(() => {
    peakRssKb = Math.max(peakRssKb, statusKb(pid, 'VmHWM') ?? 0);
  }, RSS_POLL_MS);
  const fdTimer = setInterval(() => {
    peakFds = Math.max(peakFds, openFds(pid) ?? 0);
  }, FD_POLL_MS);
  const cpu = { from: null, to: null, fromMs: 0, toMs: 0 };
  const cpuTimers = [];
  if (cpuWindowMs !== null) {
    cpuTimers.push(setTimeout(() => ((cpu.from = processCpuSeconds(pid)), (cpu.fromMs = performance.now())), cpuWindowMs[0]));
    cpuTimers.push(setTimeout(() => ((cpu.to = processCpuSeconds(pid)), (cpu.toMs = performance.now())), cpuWindowMs[1]));
  }
  const killer = setTimeout(() => {
    stderr += `\n[bench] killed after ${timeoutMs} ms`;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise((resolve) => child.on('close', (c, signal) => resolve(c ?? signal)));
  clearTimeout(killer);
  clearInterval(rssTimer);
  clearInterval(fdTimer);
  for (const t of cpuTimers) clearTimeout(t);
  const cpuResult = cpu.from && cpu.to ? { user: cpu.to.user - cpu.from.user, system: cpu.to.system - cpu.from.system, windowS: (cpu.toMs - cpu.fromMs) / 1000 } : null;
  return { code, stdout, stderr, wallMs: performance.now() - startedMs, cpu: cpuResult, peakRssBytes: peakRssKb * 1024, peakFds };
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
