// One short line about a session's last request, for Claude Code's status line and for `bench`'s
// progress: backend and model, then the prefill's progress while it runs, or the cached share,
// time to first token and decode speed once tokens come.
import { cachedShare, seconds } from "../metrics/format-reply-line";
import type { SessionReport } from "../server/status-report";

const ERROR_CHARS = 80;

export function formatStatusLine(record: SessionReport): string {
  const who = [record.backend, record.model?.split("/").at(-1)].filter(Boolean).join(" · ");
  switch (record.state) {
    case "waiting":
      return `${who} · waiting for a shared prefill ${seconds(record.elapsedMs)}`;
    case "prefill":
      return `${who} · ${formatPrefill(record)}`;
    case "failed":
      return `${who} · failed: ${(record.error ?? "").slice(0, ERROR_CHARS)}`;
    case "generating":
    case "done":
    case "cancelled":
      return [who, cached(record), record.ttftMs === undefined ? undefined : `ttft ${seconds(record.ttftMs)}`, pace(record)].filter(Boolean).join(" · ");
    default:
      return who;
  }
}

function formatPrefill(record: SessionReport): string {
  const elapsed = seconds(record.elapsedMs);
  const progress = record.progress;
  if (!progress || progress.total === 0) return `prefill ${elapsed}`;
  const percent = Math.floor((100 * progress.processed) / progress.total);
  return `prefill ${percent}% (${progress.processed.toLocaleString("en-US")}/${progress.total.toLocaleString("en-US")} tokens) ${elapsed}`;
}

function cached(record: SessionReport): string | undefined {
  return record.promptTokens ? `${cachedShare(record.promptTokens, record.cachedTokens)} cached` : undefined;
}

function pace(record: SessionReport): string | undefined {
  if (record.state === "generating") return "generating";
  if (record.state === "cancelled") return "cancelled";
  return record.decodeTokensPerSecond === undefined ? undefined : `${record.decodeTokensPerSecond} tok/s`;
}
