// Per backend, what `status` shows besides the counts: the median time to first token and decode
// speed over its latest replies, its errors and the last one, and whether it reports cached tokens.
import { median } from "../median";
import type { RequestRecord } from "./request-trace";

const SAMPLES = 50;

export type BackendSummary = {
  ttftP50Ms: number | null;
  decodeTokensPerSecond: number | null;
  errors: number;
  lastError: { message: string; at: string } | null;
  reportsCachedTokens: boolean | null; // null until it has answered
};

export class BackendTimings {
  private errors = 0;
  private lastError?: { message: string; at: number };
  private readonly ttfts: number[] = [];
  private readonly decodeRates: number[] = [];
  private reportsCachedTokens?: boolean;

  add(record: RequestRecord): void {
    if (record.state === "failed" && !record.clientFault) {
      this.errors++;
      this.lastError = { message: record.error ?? "failed", at: record.startedAt + (record.totalMs ?? 0) };
    }
    if (record.state !== "done") return;
    // LM Studio never sends cached_tokens; mlx_lm.server from 0.31 on; llama-server always.
    this.reportsCachedTokens = this.reportsCachedTokens || record.cachedTokens !== undefined;
    push(this.ttfts, record.ttftMs);
    push(this.decodeRates, record.decodeTokensPerSecond);
  }

  summary(): BackendSummary {
    return {
      ttftP50Ms: middle(this.ttfts),
      decodeTokensPerSecond: middle(this.decodeRates),
      errors: this.errors,
      lastError: this.lastError ? { message: this.lastError.message, at: new Date(this.lastError.at).toISOString() } : null,
      reportsCachedTokens: this.reportsCachedTokens ?? null,
    };
  }
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
