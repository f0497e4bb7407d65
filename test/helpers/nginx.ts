// nginx from Debian as a real-world target: one worker, a small fixed
// response, its own temporary prefix, killed by PID when done.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, waitForListener } from './listen.js';
import { HELLO_LOCATION, nginxConf } from './nginx-conf.mjs';

export const NGINX_BIN = '/usr/sbin/nginx';

export interface Nginx {
  port: number;
  url: string;
  stop(): Promise<void>;
}

export function nginxAvailable(): boolean {
  return existsSync(NGINX_BIN);
}

export interface NginxOptions {
  /** extra directives inside `server {}` */
  serverDirectives?: string;
  /** `listen` parameters after the address, e.g. "http2" */
  listenFlags?: string;
  keepaliveRequests?: number;
}

export async function startNginx(options: NginxOptions = {}): Promise<Nginx> {
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-nginx-'));
  const port = await freePort();
  const conf = nginxConf({
    dir,
    errorLogLevel: 'warn',
    keepaliveRequests: options.keepaliveRequests ?? 1000000,
    keepaliveTimeout: '30s',
    servers: `server { listen 127.0.0.1:${port} ${options.listenFlags ?? ''}; ${HELLO_LOCATION} ${options.serverDirectives ?? ''} }`,
  });
  await writeFile(path.join(dir, 'nginx.conf'), conf);
  const child: ChildProcess = spawn(NGINX_BIN, ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  try {
    await waitForListener(port, child, 'nginx');
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}: ${stderr}`);
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
