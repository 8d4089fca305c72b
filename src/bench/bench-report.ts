// A benchmark run as the terminal shows it: one bar per query (its total time, the part before
// the first token drawn solid), the figures beside it, then speedup, system-prompt share and
// the verdict with its likely causes.
import type { BenchQuery, BenchRun } from "./run-bench";
import { shortSeconds, type Verdict } from "./bench-verdict";

const BAR_WIDTH = 40;

export function formatBenchReport(run: BenchRun, verdict: Verdict, file: string): string {
  const longest = Math.max(1, ...[...run.queries, ...run.baseline].map((query) => query.totalMs));
  const rows = [
    ...run.queries.map((query) => row(query.n === 1 ? "q1 cold" : `q${query.n} follow-up`, query, longest)),
    ...run.baseline.map((query) => row(`b${query.n} no system`, query, longest)),
  ];
  const lines = [
    `anyclaude bench: ${run.backend} (${run.model ?? "model unknown"}), a ${run.tokens.toLocaleString("en-US")}-token Claude Code prompt${run.toolsSent ? "" : " (this backend takes no tools: the tool definitions were not sent)"}`,
    "",
    ...rows,
    "",
    `follow-ups: ${verdict.speedup === null ? "-" : `${verdict.speedup}x faster to the first token than the cold query`}`,
    `system prompt: ${verdict.systemPromptShare === null ? "-" : `${Math.round(verdict.systemPromptShare * 100)}% of the cold query's time`}`,
    `verdict: ${verdict.verdict}`,
    ...(verdict.causes.length > 0 ? ["likely causes:", ...verdict.causes.map((cause) => `  - ${cause}`)] : []),
    "",
    `saved: ${file}`,
  ];
  return `${lines.join("\n")}\n`;
}

function row(label: string, query: BenchQuery, longest: number): string {
  const total = Math.max(1, Math.round((query.totalMs / longest) * BAR_WIDTH));
  const prefill = Math.min(total, Math.round(((query.ttftMs ?? 0) / longest) * BAR_WIDTH));
  const bar = `${"█".repeat(prefill)}${"░".repeat(total - prefill)}`.padEnd(BAR_WIDTH);
  const cached = query.cachedTokens === null ? "cached ?" : `${query.cachedTokens.toLocaleString("en-US")} cached`;
  const ttft = query.ttftMs === null ? "" : `ttft ${shortSeconds(query.ttftMs)}, `;
  return `${label.padEnd(14)} ${bar} ${shortSeconds(query.totalMs).padStart(6)}  (${ttft}${query.promptTokens.toLocaleString("en-US")} prompt, ${cached})`;
}
