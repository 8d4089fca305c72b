// Requests in flight on one backend that share a prompt prefix share its prefill: a request whose
// prefix another request is computing right now waits until that one is done with it, then goes
// and finds the prefix in the server's cache instead of computing it a second time at the same
// moment. (Claude Code's parallel subagents: several requests within milliseconds, the same system
// prompt and tools, different last messages.)
//
// When a prefix is "done" depends on the server (backend-quirks.ts, `sharedPrefixReady`):
// - "first-token": the cache is shared across requests as soon as the prefill ends (mlx_lm.server
//   inserts each prompt segment into its LRU while it prefills): every follower goes at the
//   leader's first token, or when its progress report reaches the end of the prompt;
// - "slot-free": the prefix lives in the slot that computed it, busy until the leader's reply ends
//   (llama.cpp's slots): followers go one at a time, each when the one before it has ended, and the
//   server's slot choice by prompt similarity puts each into that slot.
// Only what is worth waiting for waits: a request is held when the prefix it shares with a running
// request exceeds what is already warm for it by MIN_SHARED_TOKENS, and never longer than its own
// cold prefill would take (`boundMs`, from the backend's measured prefill rate). A leader that
// fails or is cancelled releases its followers at once; one that stalls is left by the bound.
import type { Segment } from "./prefix-chain";

// Below this, a request is never held: waiting would save less than a second of prefill even at
// the slow end (an M-series Mac prefills a 30B model at ~500-1,000 tokens/s), and Claude Code's
// small side requests (titles, summaries) share at most a short head.
export const MIN_SHARED_TOKENS = 1_024;

export type SharedPrefixReady = "first-token" | "slot-free";

// Why a held request went (or "not-held": it never waited).
export type Release = "not-held" | "leader-ready" | "leader-failed" | "leader-cancelled" | "bound" | "cancelled";

export type Admit = {
  backend: string;
  readyAt: SharedPrefixReady;
  segments: readonly Segment[]; // the request's prefix chain as this backend gets it
  warmTokens: number; // what the backend's cache model already holds of it
  // The longest it may wait: its own cold prefill, estimated for when it would share the server
  // with the leader still computing `sharedTokens` (see share-prefill.ts).
  boundMs: (sharedTokens: number) => number;
  signal?: AbortSignal; // its client's
};

// One request, as a possible follower (`ready`) and a possible leader (the rest).
export type Admission = {
  held: boolean;
  sharedTokens: number; // with the request it waits for
  ready: Promise<Release>;
  firstToken(): void;
  progress(processed: number, total: number): void;
  end(outcome: "done" | "failed" | "cancelled"): void;
};

type Entry = {
  backend: string;
  readyAt: SharedPrefixReady;
  segments: readonly Segment[];
  running: boolean; // sent to the backend (not waiting)
  prefilled: boolean; // its first token came: the prefix is computed
  ended: boolean;
  waiters: Waiter[]; // oldest first
};

type Waiter = { entry: Entry; release: (reason: Release) => void };

export class SharedPrefills {
  private readonly entries = new Set<Entry>();

  // Counts for `status`: requests held, and why they went.
  readonly counts: Partial<Record<Release, number>> = {};

  admit(request: Admit): Admission {
    const entry: Entry = {
      backend: request.backend,
      readyAt: request.readyAt,
      segments: request.segments,
      running: false,
      prefilled: false,
      ended: false,
      waiters: [],
    };
    this.entries.add(entry);
    const { leader, sharedTokens } = this.leaderFor(entry, request.warmTokens);
    let ready: Promise<Release>;
    if (!leader) {
      entry.running = true;
      ready = Promise.resolve("not-held");
    } else {
      ready = new Promise<Release>((resolve) => {
        let timer: Timer | undefined;
        const onAbort = () => waiter.release("cancelled");
        const waiter: Waiter = {
          entry,
          release: (reason) => {
            clearTimeout(timer);
            request.signal?.removeEventListener("abort", onAbort);
            this.unlink(waiter);
            if (reason === "cancelled") this.endEntry(entry, "cancelled");
            else entry.running = true;
            this.counts[reason] = (this.counts[reason] ?? 0) + 1;
            resolve(reason);
          },
        };
        leader.waiters.push(waiter);
        timer = setTimeout(() => waiter.release("bound"), Math.max(0, request.boundMs(sharedTokens)));
        if (request.signal?.aborted) return waiter.release("cancelled");
        request.signal?.addEventListener("abort", onAbort, { once: true });
      });
    }
    return {
      held: Boolean(leader),
      sharedTokens,
      ready,
      firstToken: () => this.prefilled(entry),
      progress: (processed, total) => {
        if (total > 0 && processed >= total) this.prefilled(entry);
      },
      end: (outcome) => this.endEntry(entry, outcome),
    };
  }

  // How many requests are in flight or held, per backend (for tests and status).
  size(backend?: string): number {
    return [...this.entries].filter((entry) => backend === undefined || entry.backend === backend).length;
  }

  // The running request on the same backend sharing the most with this one, while its prefix is
  // still being computed (or, for slot servers, its slot still busy); the oldest on a tie.
  private leaderFor(entry: Entry, warmTokens: number): { leader?: Entry; sharedTokens: number } {
    let best: Entry | undefined;
    let bestShared = 0;
    for (const other of this.entries) {
      if (other === entry || other.backend !== entry.backend || !other.running || other.ended) continue;
      if (other.readyAt === "first-token" && other.prefilled) continue;
      const shared = sharedTokens(entry.segments, other.segments);
      if (shared > bestShared) [best, bestShared] = [other, shared];
    }
    if (!best || bestShared - warmTokens < MIN_SHARED_TOKENS) return { sharedTokens: bestShared };
    return { leader: best, sharedTokens: bestShared };
  }

  private prefilled(entry: Entry): void {
    if (entry.prefilled || entry.ended) return;
    entry.prefilled = true;
    if (entry.readyAt === "first-token") this.releaseAll(entry, "leader-ready");
  }

  private endEntry(entry: Entry, outcome: "done" | "failed" | "cancelled"): void {
    if (entry.ended) return;
    entry.ended = true;
    this.entries.delete(entry);
    if (outcome !== "done") return this.releaseAll(entry, outcome === "failed" ? "leader-failed" : "leader-cancelled");
    if (entry.readyAt === "first-token") return this.releaseAll(entry, "leader-ready");
    // The slot is free: the next follower goes into it, the others wait for that one in turn.
    const [next, ...rest] = entry.waiters;
    entry.waiters = [];
    if (!next) return;
    next.entry.waiters.push(...rest);
    next.release("leader-ready");
  }

  private releaseAll(entry: Entry, reason: Release): void {
    const waiters = entry.waiters;
    entry.waiters = [];
    for (const waiter of waiters) waiter.release(reason);
  }

  private unlink(waiter: Waiter): void {
    for (const entry of this.entries) {
      const index = entry.waiters.indexOf(waiter);
      if (index >= 0) entry.waiters.splice(index, 1);
    }
  }
}

// The tokens two prefix chains share from the start.
export function sharedTokens(a: readonly Segment[], b: readonly Segment[]): number {
  let tokens = 0;
  for (let index = 0; index < Math.min(a.length, b.length); index++) {
    if (a[index]!.hash !== b[index]!.hash) break;
    tokens += a[index]!.tokens;
  }
  return tokens;
}
