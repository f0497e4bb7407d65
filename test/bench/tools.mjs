// The load generators compared: how each is found, how it is told to run a
// workload, and how its own report is read back into { requests, rps, errors }.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ROOT = new URL('../../', import.meta.url).pathname;
export const CONNLOAD_BIN = path.join(ROOT, 'bin/connload.js');

function which(cmd) {
  try {
    return execFileSync('bash', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

/** First line a tool prints about itself (some print it on stderr, some exit non-zero). */
function firstLine(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim() || null;
}

function autocannonScript() {
  try {
    const pkgPath = require.resolve('autocannon/package.json');
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8'));
    return { script: path.join(path.dirname(pkgPath), typeof pkg.bin === 'string' ? pkg.bin : pkg.bin.autocannon), version: pkg.version };
  } catch {
    return null;
  }
}

let jsonCounter = 0;
const jsonPath = () => path.join(tmpdir(), `connload-bench-${process.pid}-${jsonCounter++}.json`);

/**
 * A workload: { url, strategy: 'persistent'|'new-connection'|'pipeline'|'multiplex', connections,
 * depth?, streams?, rate?, durationS }. Each tool returns null from argv() when it cannot run it.
 */
export const TOOLS = {
  connload: {
    find() {
      if (!existsSync(path.join(ROOT, 'dist/main.js'))) return { missing: 'dist/ is not built: npm run build (npm run bench does it)' };
      const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
      return { version: pkg.version };
    },
    argv(w) {
      const out = jsonPath();
      const argv = [process.execPath, CONNLOAD_BIN, 'run', w.url, '-s', w.strategy, '-c', String(w.connections), '-d', `${w.durationS}s`, '--json', out];
      if (w.depth) argv.push('--depth', String(w.depth));
      if (w.streams) argv.push('--streams', String(w.streams));
      if (w.rate) argv.push('--rate', String(w.rate));
      if (w.interval) argv.push('--interval', w.interval);
      if (w.workers) argv.push('--workers', String(w.workers));
      if (w.live !== true) argv.push('--quiet');
      return { argv, out };
    },
    parse({ out }) {
      const doc = JSON.parse(readFileSync(out, 'utf8'));
      rmSync(out, { force: true });
      const phase = doc.phases[0];
      return {
        requests: phase.requests.completed,
        rps: phase.requests.perSecond,
        errors: phase.requests.errors + phase.requests.dropped,
        peakOpen: phase.connections.peakOpen,
        held: phase.held ?? null,
      };
    },
  },

  autocannon: {
    find() {
      const found = autocannonScript();
      return found ? { version: found.version } : { missing: 'autocannon is a devDependency: npm install' };
    },
    argv(w) {
      if (w.strategy === 'new-connection' || w.strategy === 'multiplex') return null;
      const argv = [process.execPath, autocannonScript().script, '-c', String(w.connections), '-d', String(w.durationS), '--json'];
      if (w.depth) argv.push('-p', String(w.depth));
      if (w.rate) argv.push('-R', String(w.rate));
      argv.push(w.url);
      return { argv };
    },
    parse({ stdout }) {
      const r = JSON.parse(stdout.slice(stdout.indexOf('{')));
      return { requests: r.requests.total, rps: r.requests.total / r.duration, errors: r.errors + r.timeouts + r.non2xx };
    },
  },

  wrk: {
    find() {
      return which('wrk') ? { version: firstLine(['wrk', '-v']) } : { missing: 'wrk: apt-get install -y wrk' };
    },
    argv(w) {
      if (w.rate || w.depth || w.strategy === 'multiplex') return null; // no fixed rate (that is wrk2), no pipelining flag
      const argv = ['wrk', `-t${w.threads ?? 1}`, `-c${w.connections}`, `-d${w.durationS}s`, '--timeout', '10s'];
      if (w.strategy === 'new-connection') argv.push('-H', 'Connection: close');
      argv.push(w.url);
      return { argv };
    },
    parse({ stdout }) {
      const total = /(\d+) requests in ([\d.]+)(m?s|m)\b/.exec(stdout);
      const rps = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
      if (!total || !rps) throw new Error(`wrk output not understood: ${stdout.slice(0, 300)}`);
      const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
      const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(stdout);
      // wrk counts a read error for every server close: with Connection: close those are the normal end.
      const errors = (socket ? Number(socket[1]) + Number(socket[3]) + Number(socket[4]) : 0) + (non2xx ? Number(non2xx[1]) : 0);
      return { requests: Number(total[1]), rps: Number(rps[1]), errors };
    },
  },

  h2load: {
    find() {
      return which('h2load') ? { version: firstLine(['h2load', '--version']) } : { missing: 'h2load: apt-get install -y nghttp2-client' };
    },
    argv(w) {
      if (w.strategy !== 'multiplex') return null;
      return { argv: ['h2load', '-t', '1', '-c', String(w.connections), '-m', String(w.streams), '-D', String(w.durationS), w.url] };
    },
    parse({ stdout }) {
      const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s/.exec(stdout);
      const counts = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
      if (!finished || !counts) throw new Error(`h2load output not understood: ${stdout.slice(-300)}`);
      return { requests: Number(counts[4]), rps: Number(finished[2]), errors: Number(counts[5]) + Number(counts[6]) + Number(counts[7]) };
    },
  },
};

/** wrk has no fixed rate (that is wrk2), but a Lua delay() makes each connection wait between its requests: a
 *  C tool that paces, beside autocannon's bursts, for CPU per request. The wait is whole milliseconds per
 *  connection, so its rate only comes near the workload's (the table says the rate each tool reached). */
TOOLS['wrk-paced'] = {
  find: () => TOOLS.wrk.find(),
  argv(w) {
    if (!w.rate || w.strategy !== 'persistent') return null;
    const delayMs = Math.max(1, Math.round((w.connections * 1000) / w.rate));
    const script = path.join(tmpdir(), `connload-bench-delay-${delayMs}ms.lua`);
    writeFileSync(script, `function delay() return ${delayMs} end\n`);
    return { argv: ['wrk', '-t1', `-c${w.connections}`, `-d${w.durationS}s`, '--timeout', '10s', '-s', script, w.url] };
  },
  parse: (run) => TOOLS.wrk.parse(run),
};

/** Not a load generator either: the least Node does for the workload through node:net (node-loop.mjs). */
TOOLS['node-loop'] = {
  find: () => ({ version: process.version }),
  argv(w) {
    if (w.strategy !== 'persistent' && w.strategy !== 'new-connection') return null;
    if (w.rate && w.strategy !== 'persistent') return null;
    const argv = [process.execPath, path.join(ROOT, 'test/bench/node-loop.mjs'), w.url, w.strategy, String(w.connections), String(w.durationS)];
    if (w.rate) argv.push(String(w.rate));
    return { argv };
  },
  parse({ stdout }) {
    return JSON.parse(stdout.trim().split('\n').at(-1));
  },
};

/** Not a load generator: connload's own measuring, costed part by part (measuring-cost.mjs). */
TOOLS['measuring-cost'] = {
  find: () => TOOLS.connload.find(),
  argv(w) {
    return w.part ? { argv: [process.execPath, path.join(ROOT, 'test/bench/measuring-cost.mjs'), w.url, w.part] } : null;
  },
  parse({ stdout }) {
    const r = JSON.parse(stdout.trim().split('\n').at(-1));
    return { value: r.share, detail: r.detail, requests: 0, rps: null, errors: 0 };
  },
};

/** Versions of the tools found, and how to get the missing ones. */
export function findTools() {
  const found = {};
  const missing = [];
  for (const [name, tool] of Object.entries(TOOLS)) {
    const r = tool.find();
    if (r.missing) missing.push(r.missing);
    else found[name] = r.version ?? 'unknown';
  }
  return { found, missing };
}

export function nginxVersion(bin) {
  return firstLine([bin, '-v']);
}
