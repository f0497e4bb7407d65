// The package's own name and version, read once from package.json.
import { createRequire } from 'node:module';

const pkg = createRequire(import.meta.url)('../package.json') as { name: string; version: string };

export const TOOL_NAME = pkg.name;
export const TOOL_VERSION = pkg.version;
export const USER_AGENT = `${pkg.name}/${pkg.version}`;
