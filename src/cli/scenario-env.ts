// ${VAR} and ${VAR:-default} in scenario strings, replaced from the environment
// after JSON parsing (a value with quotes or backslashes cannot break the file).
// `$${` is a literal `${`.
import type { JsonPath, Problem } from './scenario-problems.js';

const REFERENCE_RE = /\$\$\{|\$\{([^}]*)\}|\$\{/g;
const NAME_RE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-([\s\S]*))?$/;

/** Replaces references in every string value (not keys); problems are appended to `problems`. */
export function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, problems: Problem[], path: JsonPath = []): unknown {
  if (typeof value === 'string') return substituteString(value, env, problems, path);
  if (Array.isArray(value)) return value.map((item, i) => substituteEnv(item, env, problems, [...path, i]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, env, problems, [...path, k])]));
  }
  return value;
}

function substituteString(text: string, env: NodeJS.ProcessEnv, problems: Problem[], path: JsonPath): string {
  if (!text.includes('${')) return text;
  let failed = false;
  const result = text.replace(REFERENCE_RE, (match, inner: string | undefined) => {
    if (match === '$${') return '${';
    const m = inner === undefined ? null : NAME_RE.exec(inner);
    if (!m) {
      failed = true;
      problems.push({ path, message: `expected \${NAME} or \${NAME:-default}, got ${JSON.stringify(match)}` });
      return match;
    }
    const [, name = '', fallback] = m;
    const set = Object.hasOwn(env, name) ? env[name] : undefined;
    // As in the shell: ":-" also replaces an empty value.
    if (fallback !== undefined) return set ? set : fallback;
    if (set !== undefined) return set;
    failed = true;
    problems.push({ path, message: `environment variable ${name} is not set (use \${${name}:-default} for a default)` });
    return match;
  });
  return failed ? text : result;
}
