// PING on a client session (RFC 9113 6.7): one when the session starts and
// about one a second while frames flow, each round trip measured; and the
// server's PINGs counted, since answering a flood of them costs us (10.5).

const PING_INTERVAL_US = 1_000_000;
/** More PINGs than this from the server within one second is a flood (ENHANCE_YOUR_CALM). */
const MAX_PINGS_PER_SECOND = 1000;

export class PingClock {
  private sentUs = 0;
  private outstanding = false;
  private windowStartUs = 0;
  private inWindow = 0;

  /** A PING of ours is due: none unanswered and the last one a second ago. */
  due(nowUs: number): boolean {
    return !this.outstanding && nowUs - this.sentUs >= PING_INTERVAL_US;
  }

  sent(nowUs: number): void {
    this.sentUs = nowUs;
    this.outstanding = true;
  }

  /** Our PING's ACK: its round trip in us, or null for an ACK we did not wait for. */
  acked(nowUs: number): number | null {
    if (!this.outstanding) return null;
    this.outstanding = false;
    return nowUs - this.sentUs;
  }

  /** The server's PING: false when it is one too many this second. */
  received(nowUs: number): boolean {
    if (nowUs - this.windowStartUs > 1_000_000) {
      this.windowStartUs = nowUs;
      this.inWindow = 0;
    }
    return ++this.inWindow <= MAX_PINGS_PER_SECOND;
  }
}
