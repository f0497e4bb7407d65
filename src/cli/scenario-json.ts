// JSON.parse with a readable syntax error: line, column, what was expected.
// Node's own messages differ between versions and often carry no position, so
// on failure a small scanner walks the text to the first offending character.

export type JsonParse = { ok: true; value: unknown } | { ok: false; problem: string };

/** Deeper than any scenario or result: what reads the document afterwards recurses, and would overflow the stack. */
export const MAX_JSON_DEPTH = 64;

/** How deep arrays and objects nest in `value` (0 for a scalar), counted without recursion; stops past `limit`. */
export function nestingDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth + 1);
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

export function parseJsonText(text: string): JsonParse {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  try {
    const value = JSON.parse(source) as unknown;
    if (nestingDepth(value) > MAX_JSON_DEPTH) return { ok: false, problem: `nested more than ${MAX_JSON_DEPTH} levels deep; expected at most ${MAX_JSON_DEPTH}` };
    return { ok: true, value };
  } catch (err) {
    const found = findSyntaxError(source);
    if (!found) return { ok: false, problem: `invalid JSON: ${(err as Error).message}` };
    const { line, column } = lineAndColumn(source, found.offset);
    const got = found.offset >= source.length ? 'the end of the file' : JSON.stringify(source[found.offset]);
    return { ok: false, problem: `line ${line}, column ${column}: invalid JSON: expected ${found.expected}, got ${got}` };
  }
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

class JsonSyntax extends Error {
  constructor(
    readonly offset: number,
    readonly expected: string,
  ) {
    super(`expected ${expected} at offset ${offset}`);
  }
}

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The first syntax error of `text`, or null when it is valid JSON. */
export function findSyntaxError(text: string): JsonSyntax | null {
  let pos = 0;
  const fail = (expected: string): never => {
    throw new JsonSyntax(pos, expected);
  };
  const skipSpace = (): void => {
    while (pos < text.length && ' \t\n\r'.includes(text[pos]!)) pos++;
  };
  const literal = (word: string): boolean => {
    if (!text.startsWith(word, pos)) return false;
    pos += word.length;
    return true;
  };
  const stringValue = (): void => {
    pos++; // opening quote
    while (pos < text.length) {
      const c = text[pos]!;
      if (c === '"') {
        pos++;
        return;
      }
      if (c === '\\') {
        pos++;
        if (text[pos] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(pos + 1, pos + 5))) fail('four hex digits after \\u');
          pos += 5;
        } else if (pos < text.length && '"\\/bfnrt'.includes(text[pos]!)) pos++;
        else fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
        continue;
      }
      if (c < ' ') fail('no raw control character in a string (escape it, e.g. \\n)');
      pos++;
    }
    fail('a closing "');
  };
  const container = (close: '}' | ']'): void => {
    pos++;
    skipSpace();
    if (text[pos] === close) {
      pos++;
      return;
    }
    for (;;) {
      if (close === '}') {
        skipSpace();
        if (text[pos] !== '"') fail('a double-quoted property name');
        stringValue();
        skipSpace();
        if (text[pos] !== ':') fail('":" after a property name');
        pos++;
      }
      value();
      skipSpace();
      if (text[pos] === close) {
        pos++;
        return;
      }
      if (text[pos] !== ',') fail(`"," or "${close}" after ${close === '}' ? 'a property value' : 'an array item'}`);
      pos++;
      skipSpace();
      if (text[pos] === close) fail(`another ${close === '}' ? 'property' : 'item'} after "," (JSON allows no trailing comma)`);
    }
  };
  const value = (): void => {
    skipSpace();
    const c = text[pos];
    if (c === '{') return container('}');
    if (c === '[') return container(']');
    if (c === '"') return stringValue();
    if (literal('true') || literal('false') || literal('null')) return;
    NUMBER_RE.lastIndex = pos;
    if (NUMBER_RE.test(text)) {
      pos = NUMBER_RE.lastIndex;
      return;
    }
    fail(c === '/' ? 'a value (JSON has no comments)' : 'a value: object, array, "string", number, true, false or null');
  };
  try {
    value();
    skipSpace();
    if (pos < text.length) fail('the end of the document');
    return null;
  } catch (err) {
    if (err instanceof JsonSyntax) return err;
    throw err;
  }
}
