// `anyclaude statusline`: the command for Claude Code's `statusLine` setting. Claude Code runs it
// with its session as JSON on stdin (`session_id` is the x-claude-code-session-id of that
// session's requests) and shows the line it prints. It runs after every message, so it must be
// fast, and quiet: when the daemon is down or anything is amiss it prints nothing and exits 0.
import type { SessionReport } from "../server/status-report";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";
import { daemonHeaders } from "../service/daemon-control";
import { formatStatusLine } from "./format-status-line";

// A daemon on loopback answers in a few ms; one that does not is not worth waiting for.
const DAEMON_TIMEOUT_MS = 100;

export async function statusline(context: CliContext): Promise<number> {
  try {
    const { values } = parseFlags(context.args, { url: { type: "string" }, config: { type: "string" } });
    const sessionId = readSessionId(process.stdin.isTTY ? "" : await Bun.stdin.text());
    if (!sessionId) return 0;
    const loaded = readConfig(context, values);
    const url = (values.url ?? daemonUrl(loaded)).replace(/\/+$/, "");
    const response = await fetch(`${url}/anyclaude/sessions/${encodeURIComponent(sessionId)}`, {
      headers: daemonHeaders(loaded.config.authToken),
      signal: AbortSignal.timeout(DAEMON_TIMEOUT_MS),
    });
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
