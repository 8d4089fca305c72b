// Per backend, what `status` shows besides the counts: the median time to first token and decode
// speed over its latest replies, its errors and the last one, and whether it reports cached tokens.
import { median } from "../median";
import type { RequestRecord } from "./request-trace";

const SAMPLES = 50;
// A reply that computed fewer tokens says more about latency than about the prefill rate.
const PREFILL_SAMPLE_TOKENS = 512;

export type BackendSummary = {
  ttftP50Ms: number | null;
  prefillTokensPerSecond: number | null; // over replies that computed at least PREFILL_SAMPLE_TOKENS
  decodeTokensPerSecond: number | null;
  errors: number;
  lastError: { message: string; at: string } | null;
  reportsCachedTokens: boolean | null; // null until it has answered
};

export class BackendTimings {
  private errors = 0;
  // Per person (none on a daemon without tokens): one person's error text is theirs alone.
  private readonly lastErrors = new Map<string | undefined, { message: string; at: number }>();
  private readonly ttfts: number[] = [];
  private readonly decodeRates: number[] = [];
  private readonly prefillRates: number[] = [];
  private reportsCachedTokens?: boolean;

  add(record: RequestRecord): void {
    if (record.state === "failed" && !record.clientFault) {
      this.errors++;
      this.lastErrors.set(record.person, { message: record.error ?? "failed", at: record.startedAt + (record.totalMs ?? 0) });
    }
    if (record.state !== "done") return;
    // LM Studio never sends cached_tokens; mlx_lm.server from 0.31 on; llama-server always.
    this.reportsCachedTokens = this.reportsCachedTokens || record.cachedTokens !== undefined;
    push(this.ttfts, record.ttftMs);
    push(this.decodeRates, record.decodeTokensPerSecond);
    if ((record.promptTokens ?? 0) - (record.cachedTokens ?? 0) >= PREFILL_SAMPLE_TOKENS) push(this.prefillRates, record.prefillTokensPerSecond);
  }

  // Tokens per second this backend computes a prompt at (the median), once measured.
  prefillRate(): number | undefined {
    return middle(this.prefillRates) ?? undefined;
  }

  // viewer: whose last error to show (see activity.ts visibleTo); the counts are everyone's.
  summary(viewer?: string): BackendSummary {
    const lastError = viewer === undefined ? latest(this.lastErrors.values()) : this.lastErrors.get(viewer);
    return {
      ttftP50Ms: middle(this.ttfts),
      prefillTokensPerSecond: middle(this.prefillRates),
      decodeTokensPerSecond: middle(this.decodeRates),
      errors: this.errors,
      lastError: lastError ? { message: lastError.message, at: new Date(lastError.at).toISOString() } : null,
      reportsCachedTokens: this.reportsCachedTokens ?? null,
    };
  }
}

function latest(errors: Iterable<{ message: string; at: number }>): { message: string; at: number } | undefined {
  let last: { message: string; at: number } | undefined;
  for (const error of errors) if (!last || error.at >= last.at) last = error;
  return last;
}

function push(samples: number[], value: number | undefined): void {
  if (value === undefined) return;
  samples.push(value);
  if (samples.length > SAMPLES) samples.shift();
}

// To a tenth: status shows milliseconds and tokens per second.
function middle(samples: number[]): number | null {
  return samples.length === 0 ? null : Math.round(median(samples) * 10) / 10;
}
