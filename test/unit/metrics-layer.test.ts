// The layer rule of metrics/ (and of report/ above it): metrics imports only transport/,
// errors.ts and version.ts; report/ takes metrics only. Read from the sources' imports.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const SRC = new URL('../../src/', import.meta.url);

function projectImports(dir: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const file of readdirSync(new URL(`${dir}/`, SRC)).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(`${dir}/${file}`, SRC), 'utf8');
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'(\.\.?\/[^']+)'/gm)) out.push([`${dir}/${file}`, m[1]!]);
  }
  return out;
}

describe('layers', () => {
  it('metrics/ imports only transport/, errors.ts and version.ts from the rest of the project', () => {
    const outside = projectImports('metrics').filter(([, spec]) => spec.startsWith('../') && !/^\.\.\/(transport\/[\w-]+|errors|version)\.js$/.test(spec));
    expect(outside).toEqual([]);
  });

  it('report/ takes results from metrics/ only', () => {
    const outside = projectImports('report').filter(([, spec]) => spec.startsWith('../') && !/^\.\.\/metrics\/[\w-]+\.js$/.test(spec));
    expect(outside).toEqual([]);
  });
});
