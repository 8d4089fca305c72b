// The line for one reply: when, which backend and route (and whose, on a daemon with named tokens), tokens and cached share, timings (in
// `status`'s recent replies; the log's line leaves out the time, which the logger stamps).
//   2026-05-01 14:03:07 mlx-lm [affinity] 18502 prompt tokens, 99% cached, 41 generated (end_turn); ttft 0.41 s, prefill 310 tok/s, decode 48.2 tok/s, total 1.26 s
import type { RequestRecord } from "./request-trace";

export function formatReplyLine(record: RequestRecord): string {
  return `${formatTimestamp(record.startedAt)} ${formatReply(record)}`;
}

// The same without the time it started: the daemon's logger stamps each line itself.
export function formatReply(record: RequestRecord): string {
  const head = `${record.backend} [${record.route}]${record.person === undefined ? "" : ` for ${record.person}`}`;
  if (record.state === "failed") return `${head} failed after ${seconds(record.totalMs)}: ${record.error}`;
  if (record.state === "cancelled") return `${head} cancelled by the client after ${seconds(record.totalMs)}`;
  const cached = record.promptTokens ? `, ${cachedShare(record.promptTokens, record.cachedTokens)} cached` : "";
  const tokens = `${record.promptTokens ?? "?"} prompt tokens${cached}, ${record.completionTokens ?? "?"} generated (${record.stopReason})`;
  const timings = [
    record.waitedMs === undefined ? undefined : `waited ${seconds(record.waitedMs)} for a shared prefill`,
    record.ttftMs === undefined ? undefined : `ttft ${seconds(record.ttftMs)}`,
    record.prefillTokensPerSecond === undefined ? undefined : `prefill ${Math.round(record.prefillTokensPerSecond)} tok/s`,
    record.decodeTokensPerSecond === undefined ? undefined : `decode ${record.decodeTokensPerSecond} tok/s`,
    `total ${seconds(record.totalMs)}`,
  ].filter(Boolean);
  return `${head} ${tokens}; ${timings.join(", ")}`;
}

// "42%", or "?" for a backend that does not report cached tokens (LM Studio).
export function cachedShare(promptTokens: number, cachedTokens: number | undefined): string {
  return cachedTokens === undefined ? "?" : `${Math.round((100 * cachedTokens) / promptTokens)}%`;
}

export function seconds(ms: number | undefined): string {
  if (ms === undefined) return "?";
  return ms < 10_000 ? `${(ms / 1000).toFixed(2)} s` : `${(ms / 1000).toFixed(1)} s`;
}

// Local time, to the second: the log is read by the person at this machine.
export function formatTimestamp(ms: number): string {
  const date = new Date(ms);
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
