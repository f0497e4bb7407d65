// The targets of the bench: nginx from Debian (one worker, a fixed 12-byte response,
// HTTP/1.1 and cleartext HTTP/2 on two ports) and connload's built-in server (for the
// 10,000-connection memory run, where every response waits --latency). Both are pinned
// to their own core and killed by PID.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { HELLO_LOCATION, nginxConf } from '../helpers/nginx-conf.mjs';
import { spawnPinned, sleep } from './measure.mjs';

export const NGINX_BIN = '/usr/sbin/nginx';
const CONNLOAD_BIN = new URL('../../bin/connload.js', import.meta.url).pathname;

async function freePort() {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => srv.once('listening', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

function accepts(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((r) => child.once('close', r));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await closed;
  clearTimeout(killer);
}

/** nginx with one worker on `cores`; { http1Url, h2cUrl, stop() }. */
export async function startNginx({ cores }) {
  if (!existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} not found: apt-get install -y nginx-light`);
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-bench-nginx-'));
  const [http1Port, h2cPort] = [await freePort(), await freePort()];
  const conf = nginxConf({
    dir,
    errorLogLevel: 'error',
    keepaliveRequests: 1000000,
    keepaliveTimeout: '60s',
    http: 'http2_max_concurrent_streams 1000;',
    servers: `server { listen 127.0.0.1:${http1Port}; ${HELLO_LOCATION} }\n  server { listen 127.0.0.1:${h2cPort} http2; ${HELLO_LOCATION} }`,
  });
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  // daemon off: the master stays our child, and SIGTERM to it stops the worker too.
  const child = spawnPinned([NGINX_BIN, '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], {
    cores,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const deadline = Date.now() + 10_000;
  while (!((await accepts(http1Port)) && (await accepts(h2cPort)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`nginx did not start: ${stderr}`);
    }
    await sleep(50);
  }
  return {
    http1Url: `http://127.0.0.1:${http1Port}/`,
    h2cUrl: `http://127.0.0.1:${h2cPort}/`,
    async stop() {
      await stopChild(child);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Runs a command to its end; throws with its stderr when it fails. */
function mustRun(argv) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed (${r.status}): ${(r.stderr ?? '').trim()}`);
  return r.stdout;
}

/**
 * nginx in a network namespace of its own, for the held-connections memory run: one source and one
 * target address reach 64,511 ports there (ip_local_port_range 1024-65535), and the accept queue
 * takes every connect at once. Enough workers that each holds its share within `fileLimit`
 * descriptors (a process's limit), spread by SO_REUSEPORT. Clients run with `prefix` (ip netns exec).
 * Needs root. { url, prefix, workers, stop() }: stop() kills nginx by PID and deletes the namespace.
 */
export async function startNginxInNetns({ cores, connections, fileLimit }) {
  if (!existsSync(NGINX_BIN)) throw new Error(`${NGINX_BIN} not found: apt-get install -y nginx-light`);
  // The pattern of test/helpers/netns.ts: a namespace left by a crashed run is removed by the tests' cleanup.
  const name = `cl-benchheld-${process.pid}-1`;
  mustRun(['ip', 'netns', 'add', name]);
  const inNetns = (argv) => ['ip', 'netns', 'exec', name, ...argv];
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-bench-held-'));
  let child = null;
  const stop = async () => {
    if (child !== null) await stopChild(child);
    spawnSync('ip', ['netns', 'del', name]);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    mustRun(inNetns(['ip', 'link', 'set', 'lo', 'up']));
    // tcp_tw_reuse: each run leaves its ports in TIME_WAIT (the client closes at the end), and the next one needs as many.
    const settings = ['net.ipv4.ip_local_port_range=1024 65535', 'net.core.somaxconn=65535', 'net.ipv4.tcp_max_syn_backlog=65535', 'net.ipv4.tcp_tw_reuse=1'];
    for (const setting of settings) {
      mustRun(inNetns(['sysctl', '-q', '-w', setting]));
    }
    const perWorker = fileLimit - 200;
    const workers = Math.max(2, Math.ceil((connections * 1.3) / perWorker));
    const port = 8080;
    const conf = nginxConf({
      dir,
      errorLogLevel: 'crit',
      keepaliveRequests: 1000000,
      keepaliveTimeout: '120s',
      workerProcesses: workers,
      workerConnections: perWorker,
      main: `worker_rlimit_nofile ${fileLimit};`,
      servers: `server { listen 127.0.0.1:${port} reuseport backlog=65535; ${HELLO_LOCATION} }`,
    });
    await writeFile(path.join(dir, 'nginx.conf'), conf);
    child = spawnPinned(inNetns([NGINX_BIN, '-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;']), {
      cores,
      env: { BENCH_NOFILE: String(fileLimit) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const deadline = Date.now() + 10_000;
    const probe = inNetns(['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
    while (spawnSync(probe[0], probe.slice(1)).status !== 0) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`nginx did not start in ${name}: ${stderr}`);
      await sleep(50);
    }
    return { url: `http://127.0.0.1:${port}/`, prefix: ['ip', 'netns', 'exec', name], workers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `connload serve` on `cores`, answering every request after `latencyMs`; { url, stop() }. */
export async function startBuiltinServer({ cores, latencyMs, h2c = false }) {
  for (let attempt = 1; ; attempt++) {
    const child = spawnPinned(
      [
        process.execPath,
        CONNLOAD_BIN,
        'serve',
        '--port',
        '0',
        '--host',
        '127.0.0.1',
        '--latency',
        `${latencyMs}ms`,
        '--keepalive-timeout',
        'off',
        ...(h2c ? ['--h2c'] : []),
      ],
      { cores },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const url = await new Promise((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d) => {
        stdout += d;
        const match = /^listening on (http:\/\/\S+)/m.exec(stdout);
        if (match) resolve(match[1].replace(/\/?$/, '/'));
      });
      child.once('close', () => resolve(null));
    });
    if (url !== null) return { url, stop: () => stopChild(child) };
    // `connload serve` may still be in the making: say why, and retry a few times.
    if (attempt >= 3) throw new Error(`connload serve did not start: ${stderr.trim().split('\n').slice(-3).join(' | ')}`);
    await sleep(2000);
  }
}

/** pacing-target.mjs on `cores`; { url, take(): { windowMs, counts } since the last take, stop() }. */
export async function startPacingTarget({ cores }) {
  const child = spawnPinned([process.execPath, new URL('./pacing-target.mjs', import.meta.url).pathname], { cores });
  const ports = await new Promise((resolve) => {
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
      const match = /^(\d+) (\d+)$/m.exec(stdout);
      if (match) resolve({ load: Number(match[1]), control: Number(match[2]) });
    });
    child.once('close', () => resolve(null));
  });
  if (ports === null) throw new Error('pacing-target.mjs did not start');
  return {
    url: `http://127.0.0.1:${ports.load}/`,
    take: () =>
      new Promise((resolve, reject) => {
        let text = '';
        net
          .connect(ports.control, '127.0.0.1')
          .setEncoding('utf8')
          .on('data', (d) => (text += d))
          .on('end', () => resolve(JSON.parse(text)))
          .on('error', reject);
      }),
    stop: () => stopChild(child),
  };
}
