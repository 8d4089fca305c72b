// `anyclaude statusline`: the command for Claude Code's `statusLine` setting. Claude Code runs it
// with its session as JSON on stdin (`session_id` is the x-claude-code-session-id of that
// session's requests) and shows the line it prints. It runs after every message, so it must be
// fast, and quiet: when the daemon is down or anything is amiss it prints nothing and exits 0.
import { cachedShare, seconds } from "../metrics/format-reply-line";
import type { SessionReport } from "../server/status-report";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";

// A daemon on loopback answers in a few ms; one that does not is not worth waiting for.
const DAEMON_TIMEOUT_MS = 100;
const ERROR_CHARS = 80;

export async function statusline(context: CliContext): Promise<number> {
  try {
    const { values } = parseFlags(context.args, { url: { type: "string" }, config: { type: "string" } });
    const sessionId = readSessionId(process.stdin.isTTY ? "" : await Bun.stdin.text());
    if (!sessionId) return 0;
    const url = (values.url ?? daemonUrl(readConfig(context, values))).replace(/\/+$/, "");
    const response = await fetch(`${url}/anyclaude/sessions/${encodeURIComponent(sessionId)}`, { signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS) });
    // The daemon answers, but this session has not sent a request yet.
    const line = response.status === 404 ? "anyclaude: ready" : response.ok ? formatStatusLine((await response.json()) as SessionReport) : "";
    if (line) process.stdout.write(`${line}\n`);
  } catch {
    // silent by design: Claude Code would show whatever we print
  }
  return 0;
}

function readSessionId(stdin: string): string | undefined {
  try {
    const input: unknown = JSON.parse(stdin);
    return typeof input === "object" && input !== null && "session_id" in input && typeof input.session_id === "string" ? input.session_id : undefined;
  } catch {
    return undefined;
  }
}

export function formatStatusLine(record: SessionReport): string {
  const who = [record.backend, record.model?.split("/").at(-1)].filter(Boolean).join(" · ");
  switch (record.state) {
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
