// The keep-alive race (4.5.6, 4.7.3): a request sent on an idle connection just as
// the server closes it for idleness gets no answer. With the idle timeout the
// idle check measured, a request is sent on each of three connections a few
// milliseconds before that timeout; the check says whether all were answered.
import { converse, describeEnding, requestBytes } from './requests.js';
import { nowMs, showMs, sleep, type ProbeContext } from './target.js';
import type { IdleTimeoutCheck, KeepAliveRaceCheck } from './types.js';

type Result = Omit<KeepAliveRaceCheck, 'durationMs'>;

/** How long before the measured idle timeout each request goes (ms). */
export const RACE_MARGINS_MS = [2, 5, 10];

export async function checkKeepAliveRace(ctx: ProbeContext, idle: IdleTimeoutCheck): Promise<Result> {
  const result = (verdict: Result['verdict'], evidence: string, answered = 0): Result => ({
    verdict,
    evidence,
    idleTimeoutMs: idle.idleMs,
    marginsMs: RACE_MARGINS_MS,
    answered,
  });
  if (idle.verdict !== 'yes' || idle.idleMs === null) return result('n/a', `needs the server's idle timeout, which the idle check did not find (${idle.verdict})`);
  const idleMs = idle.idleMs;
  if (idleMs <= 2 * Math.max(...RACE_MARGINS_MS)) return result('n/a', `the idle timeout (${showMs(idleMs)}) is too short to send just before it`);
  const outcomes = await Promise.all(RACE_MARGINS_MS.map((margin) => sendBeforeIdle(ctx, idleMs - margin)));
  const failed = outcomes.filter((o) => o !== null);
  const span = `${Math.min(...RACE_MARGINS_MS)}-${Math.max(...RACE_MARGINS_MS)} ms before the server's ${showMs(idleMs)} idle timeout`;
  if (failed.length === 0) return result('yes', `all ${outcomes.length} requests sent ${span} were answered`, outcomes.length);
  return result(
    'no',
    `${failed.length} of ${outcomes.length} requests sent ${span} got no answer (${failed[0]}): the keep-alive race; keep the client's idle timeout below the server's (connload run --idle-timeout)`,
    outcomes.length - failed.length,
  );
}

/** One request, then another once the connection has been idle `idleMs`: null when it was answered, else why not. */
async function sendBeforeIdle(ctx: ProbeContext, idleMs: number): Promise<string | null> {
  const untilMs = nowMs() + ctx.timeoutMs + idleMs;
  const conversation = await converse(ctx, untilMs);
  try {
    conversation.send(requestBytes(ctx));
    if (!(await conversation.waitResponses(1, untilMs, ctx.signal))) return `the first request: ${describeEnding(conversation)}`;
    const first = conversation.responses[0]!;
    await sleep(first.completedMs + idleMs - nowMs(), ctx.signal);
    if (conversation.ending !== null) return `closed before the request went: ${describeEnding(conversation)}`;
    conversation.send(requestBytes(ctx));
    if (await conversation.waitResponses(2, nowMs() + ctx.timeoutMs, ctx.signal)) return null;
    return describeEnding(conversation);
  } finally {
    conversation.close();
  }
}
