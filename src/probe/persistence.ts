// Does a connection carry a second request? HTTP/1.1 persistence (4.5.8), the
// Keep-Alive header on it, and HTTP/1.0 Keep-Alive (4.5.2-4.5.5).
import type { Conversation, ResponseSummary } from './conversation.js';
import { converse, describeEnding, requestBytes, type ProbeRequest } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { CheckBase, KeepAliveHeaderCheck } from './types.js';

type Verdicts = Omit<CheckBase, 'durationMs'>;

export async function checkPersistent(ctx: ProbeContext): Promise<Verdicts> {
  return twoRequests(ctx, { versionMinor: 1 }, 'HTTP/1.1');
}

export async function checkHttp10KeepAlive(ctx: ProbeContext): Promise<Verdicts> {
  return twoRequests(ctx, { versionMinor: 0, connection: 'keep-alive' }, 'HTTP/1.0 with Connection: keep-alive');
}

export async function checkKeepAliveHeader(ctx: ProbeContext): Promise<Omit<KeepAliveHeaderCheck, 'durationMs'>> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs);
  try {
    conversation.send(requestBytes(ctx));
    if (!(await conversation.waitResponses(1, untilMs, ctx.signal))) {
      return { verdict: 'unknown', evidence: noAnswer(ctx, conversation), value: null, maxRequests: null, timeoutS: null };
    }
    const r = conversation.responses[0]!;
    if (r.keepAliveHeader === null) {
      const evidence = r.keepAlive ? 'not sent' : `not sent (the response closes the connection: ${closeReason(r)})`;
      return { verdict: 'no', evidence, value: null, maxRequests: null, timeoutS: null };
    }
    return { verdict: 'yes', evidence: `Keep-Alive: ${r.keepAliveHeader}`, value: r.keepAliveHeader, maxRequests: r.keepAliveMax, timeoutS: r.keepAliveTimeoutS };
  } finally {
    conversation.close();
  }
}

/** Two requests, the second sent once the first was answered, on one connection. */
async function twoRequests(ctx: ProbeContext, request: ProbeRequest, what: string): Promise<Verdicts> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs);
  try {
    const bytes = requestBytes(ctx, request);
    conversation.send(bytes);
    if (!(await conversation.waitResponses(1, untilMs, ctx.signal))) {
      return { verdict: 'unknown', evidence: `${what}: ${noAnswer(ctx, conversation)}` };
    }
    const first = conversation.responses[0]!;
    if (!first.keepAlive) return { verdict: 'no', evidence: `${what}: the response closes the connection (${closeReason(first)})` };
    // Give a FIN that follows the response a moment to arrive, so that the second write is not lost in a race.
    await conversation.waitEnd(Math.min(untilMs, nowMs() + 50), ctx.signal);
    if (conversation.ending !== null) {
      return { verdict: 'no', evidence: `${what}: after a keep-alive response, ${describeEnding(conversation)} at once` };
    }
    conversation.send(bytes);
    if (!(await conversation.waitResponses(2, untilMs, ctx.signal))) {
      return { verdict: 'no', evidence: `${what}: the second request on the connection: ${noAnswer(ctx, conversation)}` };
    }
    const ka = first.keepAliveHeader === null ? '' : `, Keep-Alive: ${first.keepAliveHeader}`;
    return { verdict: 'yes', evidence: `2 requests answered on one connection (Connection: ${first.connectionHeader ?? 'not sent'}${ka})` };
  } finally {
    conversation.close();
  }
}

/** Why a response ends its connection, from its head. */
export function closeReason(r: ResponseSummary): string {
  if (r.connectionHeader !== null && /\bclose\b/i.test(r.connectionHeader)) return `Connection: ${r.connectionHeader}`;
  if (r.versionMinor === 0) return r.connectionHeader === null ? 'HTTP/1.0 without Connection: keep-alive' : `HTTP/1.0 with Connection: ${r.connectionHeader}`;
  return 'body delimited by the close';
}

function noAnswer(ctx: ProbeContext, conversation: Conversation): string {
  return conversation.ending === null ? `no answer within ${showMs(ctx.timeoutMs)}` : describeEnding(conversation);
}
