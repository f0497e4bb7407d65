// 4.7: who closes a connection that is being retired, defined once as data for
// each wire protocol. Protocols carry out a rule; nothing else reads --close.
import type { RetireReason } from './connection.js';
export const CLOSE_POLICIES = ['server', 'client', 'reset'] as const;
export type ClosePolicy = (typeof CLOSE_POLICIES)[number];

/** The wire protocols a strategy speaks. */
export type WireProtocol = 'http/1.0' | 'http/1.1' | 'h2';

/** How the client ends its side of a connection. */
export type ClientClose =
  /** wait for the server's FIN (the server keeps the TIME_WAIT, 4.2.7) */
  | 'await-server'
  /** close first with FIN (the client's port goes to TIME_WAIT) */
  | 'fin'
  /** abort with RST: no TIME_WAIT anywhere, and unread data is lost */
  | 'rst';

export interface CloseRule {
  /** HTTP/1.x: the Connection header of an ordinary request, and of the last one on a connection. */
  keepHeader: string | null;
  lastHeader: string | null;
  /** HTTP/2: a GOAWAY naming the last stream id is sent before the client closes or waits. */
  goaway: boolean;
  /** What the client does once the last response is in. */
  retire: ClientClose;
  /** What the client does to a connection it evicts (idle too long, room for a retry): no request is
   *  left to ask the server to close, so `server` closes with FIN; `reset` still resets. */
  evict: ClientClose;
}

const http11: Record<ClosePolicy, CloseRule> = {
  server: { keepHeader: null, lastHeader: 'close', goaway: false, retire: 'await-server', evict: 'fin' },
  client: { keepHeader: null, lastHeader: null, goaway: false, retire: 'fin', evict: 'fin' },
  reset: { keepHeader: null, lastHeader: null, goaway: false, retire: 'rst', evict: 'rst' },
};

// 4.5.2: HTTP/1.0 closes after each response unless both sides say Keep-Alive, so the last request
// asks the server to close by leaving the header out.
const http10: Record<ClosePolicy, CloseRule> = {
  server: { keepHeader: 'Keep-Alive', lastHeader: null, goaway: false, retire: 'await-server', evict: 'fin' },
  client: { keepHeader: 'Keep-Alive', lastHeader: 'Keep-Alive', goaway: false, retire: 'fin', evict: 'fin' },
  reset: { keepHeader: 'Keep-Alive', lastHeader: 'Keep-Alive', goaway: false, retire: 'rst', evict: 'rst' },
};

// RFC 9113 6.8: GOAWAY tells the server the session is done, but nothing asks the server to close the
// connection then (nginx keeps it until its idle timeout; node:http2 never does): `server` cannot be
// honoured, and is refused before anything is sent.
const h2: Partial<Record<ClosePolicy, CloseRule>> = {
  client: { keepHeader: null, lastHeader: null, goaway: true, retire: 'fin', evict: 'fin' },
  reset: { keepHeader: null, lastHeader: null, goaway: false, retire: 'rst', evict: 'rst' },
};

/** Per protocol, the policies it can honour; a missing one is refused by the plan. */
export const CLOSE_RULES: Record<WireProtocol, Partial<Record<ClosePolicy, CloseRule>>> = {
  'http/1.0': http10,
  'http/1.1': http11,
  h2,
};

/** The rule a planned phase runs by (the plan has refused a policy its protocol cannot honour). */
export function closeRule(protocol: WireProtocol, policy: ClosePolicy): CloseRule {
  const rule = CLOSE_RULES[protocol][policy];
  if (rule === undefined) throw new Error(`--close ${policy} cannot be honoured over ${protocol}`);
  return rule;
}

/** The policies a protocol can honour. */
export function honouredPolicies(protocol: WireProtocol): ClosePolicy[] {
  return CLOSE_POLICIES.filter((policy) => CLOSE_RULES[protocol][policy] !== undefined);
}

/** What the client does to a connection it retires: after its last request, or evicted while idle. */
export function clientCloseFor(rule: CloseRule, reason: RetireReason): ClientClose {
  return reason === 'last' ? rule.retire : rule.evict;
}
