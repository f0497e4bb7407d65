// The package as users get it: `npm pack`, installed into an empty folder,
// run through npx.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const exec = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];

afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('the packed tarball', () => {
  it('installs and runs `npx connload --help` and `--version`', async () => {
    const packDir = await mkdtemp(path.join(tmpdir(), 'connload-pack-'));
    const appDir = await mkdtemp(path.join(tmpdir(), 'connload-app-'));
    dirs.push(packDir, appDir);
    // --ignore-scripts: dist/ is already built by `npm test`; prepare would rebuild it.
    await exec('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir], { cwd: ROOT });
    const [tarball] = (await readdir(packDir)).filter((f) => f.endsWith('.tgz'));
    expect(tarball).toBeDefined();
    await exec('npm', ['init', '-y'], { cwd: appDir });
    await exec('npm', ['install', '--no-audit', '--no-fund', path.join(packDir, tarball!)], { cwd: appDir, timeout: 180_000 });

    const version = await exec('npx', ['--no-install', 'connload', '--version'], { cwd: appDir });
    const pkg = JSON.parse((await exec('npm', ['pkg', 'get', 'version'], { cwd: ROOT })).stdout) as string;
    expect(version.stdout.trim()).toBe(pkg);

    const help = await exec('npx', ['--no-install', 'connload', '--help'], { cwd: appDir });
    for (const command of ['run', 'serve', 'demo']) expect(help.stdout).toContain(`connload ${command}`);

    // The shipped schemas come along for editors and CI users.
    const shipped = await readdir(path.join(appDir, 'node_modules', 'connload', 'scenarios'));
    expect(shipped).toContain('scenario.schema.json');
    expect(shipped).toContain('result.schema.json');
  }, 240_000);
});
