// A reply's timings, from the moments the daemon saw and the counts the backend reported.
// llama-server measures prefill and decode itself and says so in its last chunk: its figures win.
// Otherwise prefill is the tokens computed (prompt minus cached) over the time to the first
// token, and decode the tokens after the first over the time after it.
import type { Reply } from "../translate/reply";

export type ReplyTimings = {
  ttftMs?: number; // undefined for a non-streamed reply: nothing arrives before the whole
  prefillTokensPerSecond?: number;
  decodeTokensPerSecond?: number;
  totalMs: number;
};

// waitedMs: held for a shared prefill before it went upstream (src/prefix/shared-prefill.ts): part
// of the time to first token the user sees, not of the backend's prefill.
export type Moments = { startedAt: number; firstTokenAt?: number; endedAt: number; waitedMs?: number };

export function replyTimings(moments: Moments, reply: Reply): ReplyTimings {
  const ttftMs = moments.firstTokenAt === undefined ? undefined : moments.firstTokenAt - moments.startedAt;
  return {
    ttftMs,
    prefillTokensPerSecond: prefillRate(reply, ttftMs === undefined ? undefined : ttftMs - (moments.waitedMs ?? 0)),
    decodeTokensPerSecond: decodeRate(reply, moments),
    totalMs: moments.endedAt - moments.startedAt,
  };
}

function prefillRate(reply: Reply, ttftMs: number | undefined): number | undefined {
  const server = reply.serverTimings;
  if (server?.prompt_n && server.prompt_ms) return rate(server.prompt_n, server.prompt_ms);
  if (reply.promptTokens === undefined || ttftMs === undefined) return undefined;
  return rate(reply.promptTokens - (reply.cachedTokens ?? 0), ttftMs);
}

function decodeRate(reply: Reply, moments: Moments): number | undefined {
  const server = reply.serverTimings?.predicted_per_second;
  if (server) return round(server);
  if (moments.firstTokenAt === undefined || !reply.completionTokens || reply.completionTokens < 2) return undefined;
  return rate(reply.completionTokens - 1, moments.endedAt - moments.firstTokenAt);
}

function rate(tokens: number, ms: number): number | undefined {
  return tokens > 0 && ms > 0 ? round((tokens * 1000) / ms) : undefined;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
