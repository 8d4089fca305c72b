// Wrong tokens, per peer address: each failed attempt is answered later the more attempts that
// address made lately, so guessing tokens one after another is slowed to one guess per
// MAX_DELAY_MS. Only failures wait (a correct token is never slowed, nor any other address), and
// an address's answers queue behind each other, so parallel guesses are answered one by one.
// A few failures cost nothing (a mistyped token), and the count decays (half every HALF_LIFE_MS).
// An address's queue holds at most MAX_QUEUE_MS of waiting: a failure past it is answered at once
// as rate limited, so a flood of wrong tokens holds no more timers (and their requests) than that.

const FREE_FAILURES = 3;
const BASE_DELAY_MS = 100; // the first slowed failure; each one after doubles it, up to
const MAX_DELAY_MS = 3_000;
const HALF_LIFE_MS = 60_000;
const MAX_QUEUE_MS = 30_000;
const ADDRESSES = 10_000; // the least recently failed go first past this many

type Peer = { score: number; at: number; attempts: number; nextAnswerAt: number };

export class FailedAttempts {
  private readonly peers = new Map<string, Peer>();

  // A failed attempt from `address` at `now`: how many it has made (since its count decayed to
  // nothing), and how long to wait before answering it; `overflowMs` instead when its queue is
  // full: how long until it is not.
  fail(address: string, now: number): { attempt: number; delayMs: number; overflowMs?: number } {
    const before = this.peers.get(address);
    const queuedMs = (before?.nextAnswerAt ?? now) - now;
    if (before && queuedMs > MAX_QUEUE_MS) return { attempt: before.attempts, delayMs: 0, overflowMs: Math.round(queuedMs - MAX_QUEUE_MS) };
    this.peers.delete(address);
    const left = before ? before.score * 0.5 ** ((now - before.at) / HALF_LIFE_MS) : 0;
    const score = left + 1;
    const peer = { score, at: now, attempts: before && left >= 0.5 ? before.attempts + 1 : 1, nextAnswerAt: Math.max(now, before?.nextAnswerAt ?? now) };
    if (score > FREE_FAILURES) peer.nextAnswerAt += Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (score - FREE_FAILURES - 1));
    this.peers.set(address, peer);
    if (this.peers.size > ADDRESSES) this.peers.delete(this.peers.keys().next().value!);
    return { attempt: peer.attempts, delayMs: Math.round(peer.nextAnswerAt - now) };
  }
}
