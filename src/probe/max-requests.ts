// The most requests the server answers on one connection (4.5.5 Keep-Alive max,
// nginx keepalive_requests): requests one after another until the server closes,
// up to a cap and the check's time.
import { closeReason } from './persistence.js';
import { converse, describeEnding, ordinal, requestBytes } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { MaxRequestsCheck } from './types.js';

export const MAX_REQUESTS_CAP = 1000;

type Result = Omit<MaxRequestsCheck, 'durationMs'>;

export async function checkMaxRequests(ctx: ProbeContext, cap = MAX_REQUESTS_CAP): Promise<Result> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs);
  const bytes = requestBytes(ctx);
  const result = (verdict: Result['verdict'], requests: number, closedBy: Result['closedBy'], evidence: string): Result => {
    const announced = conversation.responses[0]?.keepAliveMax;
    const hint = announced === null || announced === undefined ? '' : `; the first response announced max=${announced}`;
    return { verdict, evidence: evidence + hint, requests, limitFound: verdict === 'yes', cap, closedBy };
  };
  try {
    for (let n = 1; n <= cap; n++) {
      conversation.send(bytes);
      if (!(await conversation.waitResponses(n, untilMs, ctx.signal))) {
        const answered = n - 1;
        const ending = conversation.ending;
        if (ending === null) return result('unknown', answered, null, `at least ${answered} (stopped after ${showMs(ctx.timeoutMs)}, the check's time)`);
        if (answered === 0) return result('unknown', 0, null, `the first request: ${describeEnding(conversation)}`);
        const kind = ending.kind === 'rst' ? 'rst' : 'fin';
        return result('yes', answered, kind, `${answered} (${describeEnding(conversation)} after the ${ordinal(answered)} without Connection: close)`);
      }
      const response = conversation.responses[n - 1]!;
      if (!response.keepAlive) return result('yes', n, 'announced', `${n} (server closed after the ${ordinal(n)}, ${closeReason(response)})`);
    }
    return result('no', cap, null, `at least ${cap} (still open after ${cap} requests, the probe's cap)`);
  } finally {
    conversation.close();
  }
}
