// Request headers as the user gives them (-H "Name: value" or a scenario object), checked before
// anything is sent: a name must be a token and a value a field-value (RFC 9110 5.1, 5.5), so no
// header can end the head early, start a second request or change the framing (request smuggling).
// Messages name the header but never show its value: it may be a credential.
import { FIELD_VCHAR, TCHAR } from '../http1/field-syntax.js';

export interface HeaderCheck {
  headers: Array<[string, string]>;
  /** one message per bad header, without the value */
  problems: string[];
}

const show = (s: string): string => JSON.stringify(s);

/** The first character not allowed in a field name, or null. */
function badNameChar(name: string): string | null {
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c > 0xff || TCHAR[c] !== 1) return ch;
  }
  return null;
}

/** What is wrong with a field value, or null. Code points above U+00FF are refused: the head is
 *  written as latin1, where U+010D would become a bare CR. */
function badValue(value: string): string | null {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 13) return 'a CR';
    if (c === 10) return 'an LF';
    if (c === 0) return 'a NUL';
    if (c > 0xff) return `a character above U+00FF at position ${i}`;
    if (FIELD_VCHAR[c] !== 1) return `a control character (0x${c.toString(16).padStart(2, '0')}) at position ${i}`;
  }
  return null;
}

/** A readable form of a name that may hold control characters; names are not secret. */
function nameForMessage(name: string): string {
  return show(name.length > 40 ? `${name.slice(0, 40)}...` : name);
}

/**
 * Checks name and value of each header. `entries` are [name, value] pairs, or the index of a CLI
 * string that had no ':'. Each problem starts with the header's name (or #position), for the caller's prefix. `bodyBytes` is the body's length (null for none):
 * a Content-Length must say it, and Transfer-Encoding is refused (connload frames bodies by length).
 */
export function checkHeaders(entries: Array<[string, string] | number>, bodyBytes: number | null): HeaderCheck {
  const headers: Array<[string, string]> = [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (typeof entry === 'number') {
      problems.push(`#${entry + 1}: expected "Name: value" (a name, a colon, then the value); the text is not shown, it may hold a credential`);
      return;
    }
    const [name, rawValue] = entry;
    const value = rawValue.replace(/^[ \t]+|[ \t]+$/g, '');
    const label = nameForMessage(name);
    if (name === '') {
      problems.push(`#${i + 1}: expected a name before the colon (value not shown)`);
      return;
    }
    const ch = badNameChar(name);
    if (ch !== null) {
      problems.push(`${label}: expected a name of letters, digits and !#$%&'*+-.^_\`|~ (RFC 9110 token), got ${show(ch)} in it`);
      return;
    }
    const bad = badValue(value);
    if (bad !== null) {
      problems.push(`${label}: the value has ${bad}; expected visible characters, spaces and tabs only (value not shown)`);
      return;
    }
    const lower = name.toLowerCase();
    seen.set(lower, (seen.get(lower) ?? 0) + 1);
    if (lower === 'transfer-encoding') {
      problems.push(`${label}: not allowed; connload sends a body with Content-Length`);
      return;
    }
    if (lower === 'content-length' && value !== String(bodyBytes ?? 0)) {
      problems.push(`${label}: expected the body's length, ${bodyBytes ?? 0} (value not shown)`);
      return;
    }
    headers.push([name, value]);
  });
  for (const unique of ['host', 'content-length']) {
    if ((seen.get(unique) ?? 0) > 1) problems.push(`${show(unique)}: given ${seen.get(unique)} times; expected at most once`);
  }
  return { headers, problems };
}

/** Splits CLI strings "Name: value" at the first colon; one without a colon becomes its index. */
export function splitHeaderLines(lines: string[]): Array<[string, string] | number> {
  return lines.map((line, i) => {
    const colon = line.indexOf(':');
    return colon < 0 ? i : [line.slice(0, colon), line.slice(colon + 1)];
  });
}

/** A request target from a page list: visible ASCII only (no space, CR, LF or controls). */
export function badRequestTarget(path: string): boolean {
  return !/^\/[\x21-\x7e]*$/.test(path);
}
