// 4.6: three requests written back to back before any answer. They must come
// back whole and in order. The order is read from an echoed X-Connload-Seq
// header when the target echoes headers; otherwise GET, GET, HEAD makes a
// reordered or merged answer misframe (a HEAD answer has no body), though two
// GET answers swapped cannot show without an echo.
import type { Conversation } from './conversation.js';
import { converse, describeEnding, requestBytes } from './requests.js';
import { nowMs, showMs, type ProbeContext } from './target.js';
import type { PipeliningCheck } from './types.js';

export const SEQ_HEADER = 'X-Connload-Seq';
const METHODS = ['GET', 'GET', 'HEAD'] as const;
/** After the third answer (which closes), how long stray bytes may take to show up. */
const TRAILING_BYTES_WAIT_MS = 200;

type Result = Omit<PipeliningCheck, 'durationMs'>;

export async function checkPipelining(ctx: ProbeContext): Promise<Result> {
  const untilMs = nowMs() + ctx.timeoutMs;
  const conversation = await converse(ctx, untilMs, true);
  const sent = METHODS.length;
  try {
    conversation.sendAll(
      METHODS.map((method, i) => ({
        bytes: requestBytes(ctx, { method, headers: [[SEQ_HEADER, String(i + 1)]], connection: i === sent - 1 ? 'close' : null }),
        headOnly: method === 'HEAD',
      })),
    );
    const whole = await conversation.waitResponses(sent, untilMs, ctx.signal);
    const seqs = conversation.responses.map((r) => echoedSeq(r.text));
    // The HEAD answer has no body, so only the GET answers can show their sequence number.
    const echoes = seqs.length > 0 && seqs.every((s, i) => s !== null || METHODS[i] === 'HEAD');
    const orderCheckedBy = echoes ? 'echo' : 'framing';
    const result = (verdict: Result['verdict'], evidence: string): Result => ({ verdict, evidence, sent, answered: conversation.responses.length, orderCheckedBy });
    if (!whole) return result('no', `${conversation.responses.length} of ${sent} answered, then ${afterLast(ctx, conversation)}`);
    await conversation.waitEnd(Math.min(untilMs, nowMs() + TRAILING_BYTES_WAIT_MS), ctx.signal);
    if (conversation.ending?.kind === 'parse-error') {
      return result('no', `bytes after the ${sent} answers (${conversation.ending.detail}): a body where none belonged, answers out of order or merged`);
    }
    if (orderCheckedBy === 'echo') {
      const order = seqs.map((s) => s ?? '-').join(', ');
      const inOrder = seqs.every((s, i) => s === null || s === i + 1);
      return result(
        inOrder ? 'yes' : 'no',
        inOrder ? `${sent} of ${sent} whole and in order (echoed ${SEQ_HEADER} ${order})` : `out of order: echoed ${SEQ_HEADER} ${order}`,
      );
    }
    return result('yes', `${sent} of ${sent} whole, framed as sent (${METHODS.join(', ')}); no echo to read the order from`);
  } finally {
    conversation.close();
  }
}

/** The X-Connload-Seq value an echo of the request headers shows (plain "Name: value" lines or JSON). */
export function echoedSeq(text: string): number | null {
  const match = /x-connload-seq["']?\s*[:=]\s*["']?(\d+)/i.exec(text);
  return match ? Number(match[1]) : null;
}

function afterLast(ctx: ProbeContext, conversation: Conversation): string {
  const ending = conversation.ending;
  if (ending === null) return `nothing more within ${showMs(ctx.timeoutMs)}`;
  if (ending.kind === 'parse-error') return `an answer that does not fit its request (${ending.detail}): out of order or merged`;
  return describeEnding(conversation);
}
