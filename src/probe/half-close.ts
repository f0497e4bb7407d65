// 4.7.4 graceful close: the client sends its request and closes its output
// side at once (FIN). A server that reads to end of stream before answering, or
// takes the FIN for an abort, answers nothing.
import { converse, describeEnding, requestBytes } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { CheckBase } from './types.js';

export async function checkHalfClose(ctx: ProbeContext): Promise<Omit<CheckBase, 'durationMs'>> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs);
  try {
    conversation.send(requestBytes(ctx, { connection: 'close' }));
    conversation.halfClose();
    if (await conversation.waitResponses(1, untilMs, ctx.signal)) {
      return { verdict: 'yes', evidence: `answered ${conversation.responses[0]!.statusCode} after the client's FIN` };
    }
    const why = conversation.ending === null ? `no answer within ${showMs(ctx.timeoutMs)}` : `no answer: ${describeEnding(conversation)}`;
    return { verdict: 'no', evidence: `${why} after the client's FIN` };
  } finally {
    conversation.close();
  }
}
