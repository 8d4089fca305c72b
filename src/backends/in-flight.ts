// The work queued on each backend: every request in flight there with the prompt tokens it still
// has to compute (its estimated uncached tokens, then what the server's prefill progress says is
// left; none once its first token came). A replica's queue is what a request sent there now
// waits behind (see resolve-route.ts).
import type { RequestTrace } from "../metrics/request-trace";

export type Load = { requests: number; queuedTokens: number };

type Entry = { trace: RequestTrace; coldTokens: number };

export class InFlight {
  private readonly byBackend = new Map<string, Set<Entry>>();

  add(backend: string, trace: RequestTrace, coldTokens: number): void {
    let entries = this.byBackend.get(backend);
    if (!entries) this.byBackend.set(backend, (entries = new Set()));
    entries.add({ trace, coldTokens });
  }

  load(backend: string): Load {
    const entries = this.byBackend.get(backend);
    let requests = 0;
    let queuedTokens = 0;
    for (const entry of entries ?? []) {
      if (entry.trace.ended) {
        entries!.delete(entry);
        continue;
      }
      requests++;
      queuedTokens += remaining(entry);
    }
    return { requests, queuedTokens };
  }
}

function remaining({ trace, coldTokens }: Entry): number {
  const { state, progress } = trace.record;
  if (state === "generating") return 0;
  // The server's own count of what is left, scaled to the estimate's units.
  if (progress && progress.total > 0) return Math.round(coldTokens * Math.max(0, 1 - progress.processed / progress.total));
  return coldTokens;
}
