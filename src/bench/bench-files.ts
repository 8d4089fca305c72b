// Where benchmark results are kept: next to the daemon's log, in bench/ (a JSON file per run and
// history.csv, one row per query, to follow a machine's timings across runs and upgrades).
import { appendFileSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { currentPlatform, servicePaths } from "../service/service-paths";
import type { BenchQuery, BenchRun } from "./run-bench";
import type { Verdict } from "./bench-verdict";

const CSV_HEADER = "date,backend,model,query,ttft_ms,total_ms,prompt_tokens,cached_tokens,cached,notes";

export function benchDir(env: Record<string, string | undefined>): string {
  return join(servicePaths(currentPlatform(), env).logDir, "bench");
}

// Returns the JSON file written.
export function saveBenchRun(dir: string, run: BenchRun, verdict: Verdict): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${run.startedAt.replace(/[:.]/g, "-")}-${run.backend}.json`);
  writeFileSync(file, `${JSON.stringify({ ...run, ...verdict }, null, 2)}\n`);
  const history = join(dir, "history.csv");
  const rows = [
    ...run.queries.map((query) => csvRow(run, query, String(query.n), query.n === 1 ? `cold; ${verdict.verdict}` : "follow-up")),
    ...run.baseline.map((query) => csvRow(run, query, `b${query.n}`, "baseline, no system prompt")),
  ];
  appendFileSync(history, `${existsSync(history) ? "" : `${CSV_HEADER}\n`}${rows.join("\n")}\n`);
  return file;
}

function csvRow(run: BenchRun, query: BenchQuery, label: string, notes: string): string {
  const cached = query.cachedTokens === null ? "unknown" : query.cachedTokens >= query.promptTokens / 2 ? "yes" : "no";
  return [run.startedAt, run.backend, run.model ?? "", label, query.ttftMs ?? "", query.totalMs, query.promptTokens, query.cachedTokens ?? "", cached, notes]
    .map(csvField)
    .join(",");
}

function csvField(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
