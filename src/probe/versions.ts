// HTTP/1.1 and HTTP/1.0 support: one request each, on its own connection, with
// Connection: close (HTTP/1.0 closes by default).
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { VersionCheck } from './types.js';
import { converse, describeEnding, describeStatus, requestBytes } from './requests.js';

type Result = Omit<VersionCheck, 'durationMs'>;

export function checkHttp11(ctx: ProbeContext): Promise<Result> {
  return checkVersion(ctx, 1);
}

export function checkHttp10(ctx: ProbeContext): Promise<Result> {
  return checkVersion(ctx, 0);
}

async function checkVersion(ctx: ProbeContext, minor: 0 | 1): Promise<Result> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs);
  try {
    conversation.send(requestBytes(ctx, { versionMinor: minor, connection: minor === 1 ? 'close' : null }));
    if (!(await conversation.waitResponses(1, untilMs, ctx.signal))) {
      const why = conversation.ending === null ? `no answer within ${showMs(ctx.timeoutMs)}` : describeEnding(conversation);
      return { verdict: 'no', evidence: `HTTP/1.${minor} request: ${why}`, statusCode: null, answeredAs: null };
    }
    const response = conversation.responses[0]!;
    const answeredAs = `HTTP/1.${response.versionMinor}`;
    // 505: the server refuses this version (RFC 9110 15.6.6); an HTTP/1.1 request answered as 1.0 was not understood as 1.1.
    const refused = response.statusCode === 505 || (minor === 1 && response.versionMinor === 0);
    return {
      verdict: refused ? 'no' : 'yes',
      evidence: `answered ${describeStatus(response.statusCode, response.versionMinor, minor)}`,
      statusCode: response.statusCode,
      answeredAs,
    };
  } finally {
    conversation.close();
  }
}
