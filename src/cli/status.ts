// `anyclaude status`: a report and exit 0 when the daemon answers; one line and exit 1 when not.
import { formatReplyLine, seconds } from "../metrics/format-reply-line";
import type { StatusReport } from "../server/status-report";
import { fetchStatus, isHealthy } from "../service/daemon-control";
import { type CliContext, daemonUrl, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";

export async function status(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, { json: { type: "boolean" }, url: { type: "string" }, config: { type: "string" } });
  const loaded = readConfig(context, values);
  const url = (values.url ?? daemonUrl(loaded)).replace(/\/+$/, "");
  const report = await fetchStatus(url, { authToken: loaded.config.authToken });
  const down =
    report || !(await isHealthy(url))
      ? `anyclaude is not running at ${url} (start it with: anyclaude start)`
      : `anyclaude at ${url} refused its status: it has an authToken, and this config's is not it`;
  if (values.json) {
    // Scripts read stdout either way: one shape, with "running" first.
    process.stdout.write(`${JSON.stringify(report ? { running: true, ...report } : { running: false, url, error: down }, null, 2)}\n`);
    return report ? 0 : 1;
  }
  if (!report) throw new CliError(down);
  process.stdout.write(formatStatus(report));
  return 0;
}

const RECENT_SHOWN = 5;

export function formatStatus(report: StatusReport): string {
  const lines = [
    `anyclaude ${report.version} running at ${report.listen} (pid ${report.pid}, up ${formatDuration(report.uptimeSeconds)})`,
    ...(report.routing ? [`routing: ${formatRouting(report.routing)}`] : []),
    "",
    table([
      ["backend", "kind", "health", "model", "tools", "context", "requests", "errors", "cached", "ttft p50", "decode"],
      ...report.backends.map((backend) => [
        backend.name,
        backend.kind,
        backend.healthy ? "up" : "down",
        backend.model ?? "-",
        backend.tools ? "yes" : "no",
        backend.contextLength ? String(backend.contextLength) : "-",
        String(backend.requests),
        String(backend.errors ?? 0),
        formatCached(backend),
        backend.ttftP50Ms == null ? "-" : seconds(backend.ttftP50Ms),
        backend.decodeTokensPerSecond == null ? "-" : `${backend.decodeTokensPerSecond} tok/s`,
      ]),
    ]),
    "",
    `routes: ${
      Object.entries(report.routes)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(", ") || "none yet"
    }`,
    `sessions: ${report.sessions}`,
  ];
  for (const backend of report.backends) if (backend.replicaOf) lines.push(formatReplica(backend));
  for (const backend of report.backends) if (backend.prewarm) lines.push(formatPrewarm(backend.name, backend.prewarm));
  // An older daemon reports only the error, not the problem with how to start the backend.
  for (const backend of report.backends)
    if (!backend.healthy && backend.error) lines.push(backend.problem ?? `${backend.name} at ${backend.url}: ${backend.error}`);
  for (const backend of report.backends)
    if (backend.lastError) lines.push(`${backend.name} last error (${backend.lastError.at}): ${backend.lastError.message}`);
  const recent = (report.recent ?? []).slice(-RECENT_SHOWN);
  if (recent.length > 0) lines.push("", "recent:", ...recent.map((record) => `  ${formatReplyLine({ ...record, startedAt: Date.parse(record.startedAt) })}`));
  return `${lines.join("\n")}\n`;
}

// A replica's load (requests in flight, prompt tokens they still compute) and the conversations it holds.
function formatReplica(backend: StatusReport["backends"][number]): string {
  const load = backend.load ? `${backend.load.requests} in flight, ${backend.load.queuedTokens} tokens to prefill` : "load not reported";
  const held = backend.conversations
    ? `${backend.conversations.count} conversation${backend.conversations.count === 1 ? "" : "s"}${backend.conversations.latest.length > 0 ? ` (latest: ${backend.conversations.latest.join(", ")})` : ""}`
    : "";
  return `${backend.name} (replica of ${backend.replicaOf}): ${load}; ${held}`;
}

// Whether Claude Code's prompt prefix is warm there, and when it was last warmed.
function formatPrewarm(name: string, prewarm: StatusReport["backends"][number]["prewarm"]): string {
  if (!prewarm.enabled) return `${name} prewarm: off`;
  if (prewarm.prefixes === 0) return `${name} prewarm: no Claude Code prefix seen yet`;
  const state = prewarm.running ? "warming now" : prewarm.warm ? "warm" : "not warm";
  const last = prewarm.lastWarmedAt ? `, last warmed ${prewarm.lastWarmedAt} in ${seconds(prewarm.lastDurationMs ?? 0)}` : "";
  const failed = prewarm.lastError ? `, last failure: ${prewarm.lastError}` : "";
  return `${name} prewarm: ${state} (${prewarm.prefixes} prefix${prewarm.prefixes === 1 ? "" : "es"}${last}${prewarm.cancelled ? `, ${prewarm.cancelled} cancelled by requests` : ""}${failed})`;
}

// LM Studio reports no cached tokens: its share is unknown, not 0%.
function formatCached(backend: StatusReport["backends"][number]): string {
  if (backend.promptTokens === 0) return "-";
  if (backend.reportsCachedTokens === false) return `not reported (${backend.promptTokens})`;
  return `${Math.round((100 * backend.cachedTokens) / backend.promptTokens)}% of ${backend.promptTokens}`;
}

// Only what the contract promises is certain: an older or newer daemon may not report its routing.
function formatRouting(routing: StatusReport["routing"]): string {
  if (routing.mode !== "auto") return `everything to ${routing.mode}`;
  return `auto (tools -> ${routing.toolsBackend}, otherwise -> ${routing.defaultBackend}, affinity ${routing.affinity ? "on" : "off"}, tools when ${routing.toolsWhen})`;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function formatDuration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  return hours > 0 ? `${hours}h ${minutes}m` : minutes > 0 ? `${minutes}m ${seconds % 60}s` : `${seconds}s`;
}
