// One problem of a scenario file: where (a JSON path) and what. Formatting of
// paths and values, "did you mean" suggestions, and document order.

export type JsonPath = Array<string | number>;

export interface Problem {
  path: JsonPath;
  /** Text after "<path>: ". */
  message: string;
}

const PLAIN_KEY_RE = /^[A-Za-z_$*][\w$*-]*$/;

/** `phases[1].depth`, `thresholds.*[0]`, `thresholds["warm up"][0]`; `(root)` for the document. */
export function formatPath(path: JsonPath): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY_RE.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(root)' : out;
}

export function formatProblem(problem: Problem): string {
  return `${formatPath(problem.path)}: ${problem.message}`;
}

const MAX_VALUE_CHARS = 60;

/** A value as JSON, shortened; "nothing" when absent. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > MAX_VALUE_CHARS ? `${json.slice(0, MAX_VALUE_CHARS - 3)}...` : json;
}

export function valueAt(data: unknown, path: JsonPath): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length]!;
}

/** The known name a typo most likely meant, or null. Accepts CLI spellings (`max-connections`). */
export function suggest(word: string, known: readonly string[]): string | null {
  const camel = word.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  const exact = known.find((k) => k.toLowerCase() === camel.toLowerCase());
  if (exact) return exact;
  const limit = word.length >= 5 ? 2 : 1;
  let best: string | null = null;
  let bestDistance = limit + 1;
  for (const k of known) {
    const d = editDistance(camel.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** Sorts problems in the order their paths appear in the document (missing keys right after their parent). */
export function sortByDocumentOrder(problems: Problem[], data: unknown): Problem[] {
  const order = new Map<string, number>();
  const walk = (value: unknown, path: JsonPath): void => {
    order.set(formatPath(path), order.size);
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, [...path, i]));
    else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(data, []);
  const rank = (path: JsonPath): number => {
    for (let n = path.length; n >= 0; n--) {
      const index = order.get(formatPath(path.slice(0, n)));
      if (index !== undefined) return n === path.length ? index : index + 0.5;
    }
    return Number.MAX_SAFE_INTEGER;
  };
  return problems
    .map((p) => ({ p, r: rank(p.path) }))
    .sort((a, b) => a.r - b.r)
    .map(({ p }) => p);
}
