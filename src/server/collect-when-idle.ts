// A daemon that sits under every keystroke should give back what a burst of requests took. The
// garbage collector runs by allocation, so after a burst the heap (and the resident memory with
// it) stays as it was at the peak until the next burst. When the last reply has been out for a
// few seconds, one full collection runs, and the heap gives its free pages back (Bun.shrink:
// measured, the daemon then settles ~7 MB lower after a burst of 64 clients).
//
// Under steady load from long conversations there is no idle moment. Each request's body and the
// body sent on for it are handed back as soon as they are read and sent (release-bytes.ts), but
// what else a request makes is freed late: 16 sessions of 400 KB then peaked at 170-200 MB. So
// while busy, after every BUSY_TOKENS of prompts read, a full collection runs if the daemon's
// resident memory is past BUSY_RSS: measured (`bun scripts/bench-team.ts`), the peak fell to
// 130-133 MB. Such a collection walks the whole heap, 16 long conversations there: ~20 ms, a cost
// that grows with the conversations, so it is paid only by a daemon that holds that much (a
// team's: 16 sessions of 400 KB idle at ~98 MB), not by one person's, whose resident memory stays
// far below. At 112 MB it ran ~290 times in that bench, at 128 MB ~90.
const IDLE_MS = 3_000;
const BUSY_TOKENS = 500_000; // ~1.7 MB of text: four 400 KB conversations
const BUSY_RSS = 128 * 1024 * 1024;

export type CollectorOptions = {
  collect: () => void; // when idle
  idleMs: number;
  busyTokens: number;
  busyRss: number;
  collectBusy: () => void;
  residentBytes: () => number;
};

const DEFAULTS: CollectorOptions = {
  collect: collectAndShrink,
  idleMs: IDLE_MS,
  busyTokens: BUSY_TOKENS,
  busyRss: BUSY_RSS,
  collectBusy: () => Bun.gc(true),
  residentBytes: () => process.memoryUsage.rss(),
};

export class IdleCollector {
  private inFlight = 0;
  private timer?: Timer;
  private readSinceCollected = 0;
  private readonly options: CollectorOptions;

  constructor(options: Partial<CollectorOptions> = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  started(estimatedTokens = 0): void {
    this.inFlight++;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.readSinceCollected += estimatedTokens;
    if (this.readSinceCollected < this.options.busyTokens) return;
    this.readSinceCollected = 0;
    if (this.options.residentBytes() > this.options.busyRss) this.options.collectBusy();
  }

  ended(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    if (this.inFlight > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.inFlight === 0) this.options.collect();
    }, this.options.idleMs);
    this.timer.unref?.();
  }
}

function collectAndShrink(): void {
  Bun.gc(true);
  Bun.shrink();
}
