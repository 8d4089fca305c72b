// What a benchmark run means, in the seed's terms: how much faster the follow-ups are than the
// cold query, what share of a cold query's time the system prompt costs, and a verdict such as
// "30s, 0.4s, 0.4s: the KV cache works" with the likely causes when it does not.
import { median } from "../median";
import type { BenchQuery } from "./run-bench";

export type Verdict = { speedup: number | null; systemPromptShare: number | null; verdict: string; causes: string[] };

// Follow-ups at least this much faster (or this share cached) mean the cache did its work.
const WORKS_SPEEDUP = 3;
const WORKS_CACHED_SHARE = 0.8;
const NOT_CACHED_SPEEDUP = 1.5;

export function judge(queries: BenchQuery[], baseline: BenchQuery[]): Verdict {
  const [cold, ...followUps] = queries;
  if (!cold || followUps.length === 0) return { speedup: null, systemPromptShare: null, verdict: "one query: nothing to compare", causes: [] };
  const latency = (query: BenchQuery) => query.ttftMs ?? query.totalMs;
  const followUp = median(followUps.map(latency));
  const speedup = followUp > 0 ? round(latency(cold) / followUp, 1) : null;
  const base = baseline[0];
  const systemPromptShare = base && cold.totalMs > 0 ? round(Math.min(1, Math.max(0, (cold.totalMs - base.totalMs) / cold.totalMs)), 2) : null;
  const times = queries.map((query) => shortSeconds(latency(query))).join(", ");
  const cachedShare = followUps.every((query) => query.cachedTokens !== null)
    ? median(followUps.map((query) => (query.cachedTokens ?? 0) / Math.max(1, query.promptTokens)))
    : undefined;
  if ((cachedShare ?? 0) >= WORKS_CACHED_SHARE || (cachedShare === undefined && (speedup ?? 0) >= WORKS_SPEEDUP)) {
    return { speedup, systemPromptShare, verdict: `${times}: the KV cache works${speedup ? ` (follow-ups ${speedup}x faster)` : ""}`, causes: [] };
  }
  const notCached = (speedup ?? 0) < NOT_CACHED_SPEEDUP;
  return { speedup, systemPromptShare, verdict: `${times}: ${notCached ? "not cached" : "partly cached"}`, causes: likelyCauses(cold, cachedShare) };
}

function likelyCauses(cold: BenchQuery, cachedShare: number | undefined): string[] {
  const causes = [
    "the server's prompt cache is off, or holds fewer prompts than the conversations in use (mlx_lm.server before 0.28.4 keeps one; LM Studio's llama.cpp engine keeps a few slots and gives a new conversation the most similar one)",
    "something near the start of the prompt changes between requests (a date or a nonce in the system prompt or CLAUDE.md)",
    "the model's loaded context is smaller than the prompt, so the server cuts it and the prefix differs every turn (anyclaude doctor checks the context)",
  ];
  if (cachedShare === undefined) causes.push("the backend reports no cached tokens (LM Studio), so only the timings can tell");
  if ((cold.ttftMs ?? cold.totalMs) < 2_000)
    causes.push(`the cold query took only ${shortSeconds(cold.ttftMs ?? cold.totalMs)}: with a prompt this fast to compute, the cache saves little`);
  return causes;
}

// "30s", "4.2s", "0.41s": the seed's way of writing times.
export function shortSeconds(ms: number): string {
  const seconds = ms / 1000;
  return seconds >= 10 ? `${Math.round(seconds)}s` : seconds >= 1 ? `${seconds.toFixed(1)}s` : `${seconds.toFixed(2)}s`;
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
