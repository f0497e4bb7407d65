// Property: no header that passes the plan's check can change the request's framing. Any list of
// headers (names and values drawn with CR, LF, NUL, colons, spaces, controls and code points that
// latin1 would fold into CR among them) either is refused, without the value in any message, or is
// built by http1/request.ts into bytes that the built-in server's parser reads as exactly one
// request, with the same headers, nothing left over.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildRequest } from '../../src/http1/request.js';
import { checkHeaders, splitHeaderLines } from '../../src/plan/headers.js';
import { Http1RequestParser, type Http1Request } from '../../src/server/request-parser.js';

const TOKEN_CHARS = "abcXYZ019-!#$%&'*+.^_`|~";
const HOSTILE_CHARS = ['\r', '\n', '\0', ' ', '\t', ':', '\x01', '\x7f', '\u00e9', '\u010d', '\u010a', '\u2028', 'GET / HTTP/1.1', '\r\n\r\n'];
const MARK = 'SECRETVALUE';

/** Mostly token characters, sometimes a hostile one. */
const piece = (normal: string): fc.Arbitrary<string> =>
  fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...normal) }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_CHARS) });
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(piece(TOKEN_CHARS), { minLength: 0, maxLength: 12 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: fc.constantFrom('Host', 'Content-Length', 'Transfer-Encoding', 'Connection', 'Authorization', 'host') },
);
const valueArb = fc.array(piece(`${TOKEN_CHARS} ,;="/()\t\u00ff`), { maxLength: 16 }).map((a) => `${MARK}${a.join('')}`);
const lengthValueArb = fc.oneof(valueArb, fc.nat(40).map(String), fc.constantFrom('chunked', '5, 5', ' 3 '));
const headerArb = fc.tuple(nameArb, fc.oneof(valueArb, lengthValueArb));

function parseAll(bytes: Buffer, split: number): { requests: Http1Request[]; error: string | null; midRequest: boolean } {
  const requests: Http1Request[] = [];
  let error: string | null = null;
  const parser = new Http1RequestParser(
    (r) => requests.push(r),
    (e) => (error = e.reason),
  );
  const at = Math.min(split, bytes.length);
  parser.push(bytes.subarray(0, at));
  if (at < bytes.length) parser.push(bytes.subarray(at));
  return { requests, error, midRequest: parser.midRequest };
}

describe('header validation (property)', () => {
  it('a header list either is refused without showing a value, or frames exactly one request with the same headers', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.array(headerArb, { maxLength: 5 }),
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
        fc.nat(400),
        fc.boolean(),
        (given, body, split, asCliLines) => {
          const entries = asCliLines ? splitHeaderLines(given.map(([n, v]) => `${n}:${v}`)) : given;
          const checked = checkHeaders(entries, body?.byteLength ?? null);
          if (checked.problems.length > 0) {
            for (const p of checked.problems) expect(p).not.toContain(MARK);
            return;
          }
          accepted++;
          const bytes = buildRequest({
            method: body === null ? 'GET' : 'POST',
            path: '/',
            hostHeader: '127.0.0.1:8080',
            versionMinor: 1,
            connection: 'keep-alive',
            headers: checked.headers,
            body,
            userAgent: 'connload-test',
          }).whole;
          const { requests, error, midRequest } = parseAll(bytes, split);
          expect(error).toBeNull();
          expect(requests).toHaveLength(1);
          expect(midRequest).toBe(false);
          const lines = requests[0]!.headerLines;
          const expected = checked.headers.filter(([n]) => n.toLowerCase() !== 'connection').map(([n, v]) => `${n}: ${v}`);
          // the given headers, in order, among the ones connload adds (Host, User-Agent, Accept, Connection, Content-Length)
          expect(lines.filter((l) => expected.includes(l))).toEqual(expected);
          expect(lines.filter((l) => /^connection:/i.test(l))).toEqual(['Connection: keep-alive']);
        },
      ),
      { numRuns: 3000 },
    );
    // both sides of the property were exercised, not only refusals
    expect(accepted).toBeGreaterThan(300);
  });

  it('names the hostile cases it refuses', () => {
    const refused = (name: string, value: string): boolean => checkHeaders([[name, value]], null).problems.length > 0;
    for (const bad of ['\r', '\n', '\0', '\u010d', '\u010a', '\x01']) expect(refused('X-A', `a${bad}b`), JSON.stringify(bad)).toBe(true);
    for (const bad of [' ', ':', '\r', '\n', '\0', '\u00e9', '(']) expect(refused(`X${bad}A`, 'v'), JSON.stringify(bad)).toBe(true);
    expect(refused('X-A', 'a\tb c\u00ff')).toBe(false);
  });
});
