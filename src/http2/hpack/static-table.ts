// RFC 7541 Appendix A: the static table, indices 1 to 61, with the lookups the
// encoder needs (full field, then name only) built once.

export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''],
  [':method', 'GET'],
  [':method', 'POST'],
  [':path', '/'],
  [':path', '/index.html'],
  [':scheme', 'http'],
  [':scheme', 'https'],
  [':status', '200'],
  [':status', '204'],
  [':status', '206'],
  [':status', '304'],
  [':status', '400'],
  [':status', '404'],
  [':status', '500'],
  ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''],
  ['accept-ranges', ''],
  ['accept', ''],
  ['access-control-allow-origin', ''],
  ['age', ''],
  ['allow', ''],
  ['authorization', ''],
  ['cache-control', ''],
  ['content-disposition', ''],
  ['content-encoding', ''],
  ['content-language', ''],
  ['content-length', ''],
  ['content-location', ''],
  ['content-range', ''],
  ['content-type', ''],
  ['cookie', ''],
  ['date', ''],
  ['etag', ''],
  ['expect', ''],
  ['expires', ''],
  ['from', ''],
  ['host', ''],
  ['if-match', ''],
  ['if-modified-since', ''],
  ['if-none-match', ''],
  ['if-range', ''],
  ['if-unmodified-since', ''],
  ['last-modified', ''],
  ['link', ''],
  ['location', ''],
  ['max-forwards', ''],
  ['proxy-authenticate', ''],
  ['proxy-authorization', ''],
  ['range', ''],
  ['referer', ''],
  ['refresh', ''],
  ['retry-after', ''],
  ['server', ''],
  ['set-cookie', ''],
  ['strict-transport-security', ''],
  ['transfer-encoding', ''],
  ['user-agent', ''],
  ['vary', ''],
  ['via', ''],
  ['www-authenticate', ''],
];

export const STATIC_COUNT = STATIC_TABLE.length;

/** Names and values as bytes, index 1..61 at [index - 1]: what the decoder hands out for indexed fields. */
export const STATIC_NAMES: readonly Buffer[] = STATIC_TABLE.map(([name]) => Buffer.from(name, 'latin1'));
export const STATIC_VALUES: readonly Buffer[] = STATIC_TABLE.map(([, value]) => Buffer.from(value, 'latin1'));

const byField = new Map<string, number>();
const byName = new Map<string, number>();
STATIC_TABLE.forEach(([name, value], i) => {
  byField.set(`${name}\0${value}`, i + 1);
  if (!byName.has(name)) byName.set(name, i + 1);
});

/** The static index of `name: value`, or 0. */
export function staticFieldIndex(name: string, value: string): number {
  return byField.get(`${name}\0${value}`) ?? 0;
}

/** The lowest static index with this name, or 0. */
export function staticNameIndex(name: string): number {
  return byName.get(name) ?? 0;
}
