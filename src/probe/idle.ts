// How long the server keeps an idle connection open, and how it closes it: FIN
// (a graceful end) or RST (ECONNRESET). One request, then nothing: the clock
// runs from the end of the response, bounded by --idle-max.
import { closeReason } from './persistence.js';
import { converse, describeEnding, requestBytes } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { IdleTimeoutCheck } from './types.js';

type Result = Omit<IdleTimeoutCheck, 'durationMs'>;

export async function checkIdleTimeout(ctx: ProbeContext): Promise<Result> {
  const answerUntilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, answerUntilMs);
  const result = (verdict: Result['verdict'], evidence: string, idleMs: number | null = null, close: Result['close'] = null): Result => ({
    verdict,
    evidence,
    idleMs,
    close,
    waitedUpToMs: ctx.idleMaxMs,
  });
  try {
    conversation.send(requestBytes(ctx));
    if (!(await conversation.waitResponses(1, answerUntilMs, ctx.signal))) {
      const why = conversation.ending === null ? `no answer within ${showMs(ctx.timeoutMs)}` : describeEnding(conversation);
      return result('unknown', `the request: ${why}`);
    }
    const response = conversation.responses[0]!;
    if (!response.keepAlive) return result('n/a', `no idle connection: the response closes it (${closeReason(response)})`);
    const announced = response.keepAliveTimeoutS === null ? '' : `; Keep-Alive announced timeout=${response.keepAliveTimeoutS}`;
    const ending = await conversation.waitEnd(response.completedMs + ctx.idleMaxMs, ctx.signal);
    if (ending === null) return result('unknown', `longer than ${showMs(ctx.idleMaxMs)} (still open at --idle-max)${announced}`);
    const idleMs = ending.atMs - response.completedMs;
    if (ending.kind !== 'fin' && ending.kind !== 'rst') return result('unknown', `the idle connection ended: ${describeEnding(conversation)}`, idleMs);
    const how = ending.kind === 'fin' ? 'FIN' : 'RST (ECONNRESET)';
    return result('yes', `closed after ${showMs(idleMs)} idle, by ${how}${announced}`, idleMs, ending.kind);
  } finally {
    conversation.close();
  }
}
