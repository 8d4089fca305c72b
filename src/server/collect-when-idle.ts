// A daemon that sits under every keystroke should give back what a burst of requests took. The
// garbage collector runs by allocation, so after a burst the heap (and the resident memory with
// it) stays as it was at the peak until the next burst. When the last reply has been out for a
// few seconds, one full collection runs, and the heap gives its free pages back (Bun.shrink:
// measured, the daemon then settles ~7 MB lower after a burst of 64 clients).
//
// Under steady load from long conversations there is no idle moment, and each request leaves
// large strings behind (its body, its upstream JSON) that the collector, pacing itself by a heap
// of a few MB, frees late: 16 sessions of 400 KB peaked at ~230 MB. So a full collection also
// runs after every BUSY_TOKENS of prompts read: measured (`bun scripts/bench-team.ts`), the peak
// fell to the figures in the README, and the median request time did not move.
const IDLE_MS = 3_000;
const BUSY_TOKENS = 1_000_000; // ~3.5 MB of text: nine 400 KB conversations (2 M: 147-155 MB)

export class IdleCollector {
  private inFlight = 0;
  private timer?: Timer;
  private readSinceCollected = 0;

  constructor(
    private readonly collect: () => void = collectAndShrink,
    private readonly idleMs = IDLE_MS,
    private readonly busyTokens = BUSY_TOKENS,
    private readonly collectBusy: () => void = () => Bun.gc(true),
  ) {}

  started(estimatedTokens = 0): void {
    this.inFlight++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.readSinceCollected += estimatedTokens;
    if (this.readSinceCollected < this.busyTokens) return;
    this.readSinceCollected = 0;
    this.collectBusy();
  }

  ended(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.inFlight === 0) this.collect();
    }, this.idleMs);
    this.timer.unref?.();
  }
}

function collectAndShrink(): void {
  Bun.gc(true);
  Bun.shrink();
}
