// tinyproxy from Debian as a real forward proxy for the tests: its own log, one line per
// request it was asked to forward ("Request (file descriptor N): GET http://... HTTP/1.1" or
// "CONNECT host:port HTTP/1.1"), is the ground truth.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort, stopChild, waitForListener } from './listen.js';

export const TINYPROXY_BIN = '/usr/bin/tinyproxy';

export function tinyproxyAvailable(): boolean {
  return existsSync(TINYPROXY_BIN);
}

export interface Tinyproxy {
  port: number;
  url: string;
  /** the request lines it logged ("GET http://... HTTP/1.1", "CONNECT host:port HTTP/1.1") */
  requests(): Promise<string[]>;
  stop(): Promise<void>;
}

/** `auth`: user and password the proxy asks for (407 without them). */
export async function startTinyproxy(auth?: { user: string; password: string }): Promise<Tinyproxy> {
  const dir = await mkdtemp(path.join(tmpdir(), 'connload-tinyproxy-'));
  const port = await freePort();
  const log = path.join(dir, 'tinyproxy.log');
  const conf = [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${log}"`,
    'LogLevel Connect',
    'MaxClients 500',
    'Allow 127.0.0.1',
    'DisableViaHeader Yes',
    // No ConnectPort line: CONNECT is allowed to any port (the tests' servers use random ones).
    ...(auth ? [`BasicAuth ${auth.user} ${auth.password}`] : []),
  ].join('\n');
  await writeFile(path.join(dir, 'tinyproxy.conf'), `${conf}\n`);
  const child: ChildProcess = spawn(TINYPROXY_BIN, ['-d', '-c', path.join(dir, 'tinyproxy.conf')], { stdio: 'ignore' });
  await waitForListener(port, child, 'tinyproxy');
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async requests() {
      const text = await readFile(log, 'utf8').catch(() => '');
      return [...text.matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map((m) => m[1]!.trim());
    },
    stop: () => stopChild(child, dir),
  };
}
