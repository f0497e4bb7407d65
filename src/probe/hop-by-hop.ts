// 4.3.1: hop-by-hop headers (Connection, the headers it names, Keep-Alive, TE)
// belong to one connection; a proxy must remove them before forwarding. Only a
// target that echoes the request headers in its body shows what arrived.
import { converse, describeEnding, requestBytes } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { HopByHopCheck } from './types.js';

/** An end-to-end header: seeing it in the body proves the body is an echo. */
const MARKER: [string, string] = ['X-Connload-Probe', 'end-to-end'];
/** The custom header named in Connection, so a proxy should drop it (RFC 9110 7.6.1). */
const NAMED_HOP: [string, string] = ['X-Connload-Hop', 'probe-hop'];
const CONNECTION_VALUE = `close, TE, ${NAMED_HOP[0]}`;
const HOP_HEADERS: Array<[string, string]> = [NAMED_HOP, ['Keep-Alive', 'timeout=7, max=77'], ['TE', 'trailers']];

type Result = Omit<HopByHopCheck, 'durationMs'>;

export async function checkHopByHop(ctx: ProbeContext): Promise<Result> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs, true);
  const sent = [`Connection: ${CONNECTION_VALUE}`, ...HOP_HEADERS.map(([name, value]) => `${name}: ${value}`)];
  const result = (verdict: Result['verdict'], evidence: string, echo = false, arrived: string[] = []): Result => ({ verdict, evidence, echo, sent, arrived });
  try {
    conversation.send(requestBytes(ctx, { connection: CONNECTION_VALUE, headers: [MARKER, ...HOP_HEADERS] }));
    if (!(await conversation.waitResponses(1, untilMs, ctx.signal))) {
      const why = conversation.ending === null ? `no answer within ${showMs(ctx.timeoutMs)}` : describeEnding(conversation);
      return result('unknown', `the request: ${why}`);
    }
    const arrived = arrivedHeaders(bodyOf(conversation.responses[0]!.text));
    if (arrived === null)
      return result(
        'unknown',
        'no echo endpoint: the response body does not show the request headers (give a URL that echoes them, e.g. /echo-headers of connload serve)',
      );
    if (arrived.length === 0) return result('yes', `all stripped on the way: none of ${sent.length} arrived at the target`, true, arrived);
    return result('no', `arrived at the target: ${arrived.join(', ')} (no proxy on the way removed them)`, true, arrived);
  } finally {
    conversation.close();
  }
}

/** Names of the hop-by-hop headers an echo body shows with the values sent; null when the body is no echo. */
export function arrivedHeaders(body: string): string[] | null {
  if (!shows(body, MARKER[0], escape(MARKER[1]))) return null;
  const arrived: string[] = [];
  // Ours only if it still names our header: a proxy may send a Connection header of its own.
  if (shows(body, 'Connection', `[^\\r\\n"]*${escape(NAMED_HOP[0])}`)) arrived.push('Connection');
  for (const [name, value] of HOP_HEADERS) if (shows(body, name, escape(value))) arrived.push(name);
  return arrived;
}

/** `Name: value` lines or JSON `"Name": "value"`, name case-insensitive; `valuePattern` is a regex source. */
function shows(body: string, name: string, valuePattern: string): boolean {
  return new RegExp(`(^|[\\s"'{,])${escape(name)}["']?\\s*[:=]\\s*["']?${valuePattern}`, 'im').test(body);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The bytes after the head: the echo must be in the body, not in response headers. */
function bodyOf(responseText: string): string {
  const headEnd = responseText.indexOf('\r\n\r\n');
  return headEnd < 0 ? '' : responseText.slice(headEnd + 4);
}
