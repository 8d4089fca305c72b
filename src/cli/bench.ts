// `anyclaude bench [--backend NAME] [--json] [--queries N] [--tokens N]`: the seed's KV-cache
// test through the daemon on the user's own backend. Results go to the state directory's bench/.
import { benchDir, saveBenchRun } from "../bench/bench-files";
import { SEED_PROMPT_TOKENS } from "../bench/bench-prompt";
import { formatBenchReport } from "../bench/bench-report";
import { judge } from "../bench/bench-verdict";
import { type BenchQuery, type BenchRun, type DaemonBackend, runBench } from "../bench/run-bench";
import { fetchStatus } from "../service/daemon-control";
import type { SessionReport } from "../server/status-report";
import { type CliContext, parseFlags, readConfig } from "./cli-context";
import { CliError } from "./cli-error";
import { ensureDaemon } from "./start";
import { formatStatusLine } from "./format-status-line";

export async function bench(context: CliContext): Promise<number> {
  const { values } = parseFlags(context.args, {
    backend: { type: "string" },
    json: { type: "boolean" },
    queries: { type: "string" },
    tokens: { type: "string" },
    config: { type: "string" },
  });
  const queries = count(values.queries, "--queries", 5, 2);
  const tokens = count(values.tokens, "--tokens", SEED_PROMPT_TOKENS, 500);
  const { config } = readConfig(context, values);
  const url = await ensureDaemon(context, values.config);
  const status = await fetchStatus(url, { authToken: config.authToken });
  if (!status) throw new CliError(`anyclaude at ${url} does not report its status`);
  const name = values.backend ?? (status.routing.mode === "auto" ? status.routing.toolsBackend : status.routing.mode);
  const backend: DaemonBackend | undefined = status.backends.find((candidate) => candidate.name === name);
  if (!backend) throw new CliError(`no backend named "${name}"; the daemon has: ${status.backends.map((candidate) => candidate.name).join(", ")}`, 2);
  if (!backend.healthy) throw new CliError(`backend "${name}" is down (${backend.error ?? "not answering"}); see: anyclaude doctor`);

  const options = {
    daemonUrl: url,
    backend: name,
    queries,
    tokens,
    nonce: crypto.randomUUID().slice(0, 8),
    authToken: config.authToken,
    onProgress: process.stderr.isTTY ? showProgress : undefined,
  };
  const measured = await runBench(options, backend);
  clearProgress();
  // LM Studio reports no cached tokens: its 0 means "unknown", not "none".
  const reports =
    (await fetchStatus(url, { authToken: config.authToken }))?.backends.find((candidate) => candidate.name === name)?.reportsCachedTokens !== false;
  const unknownCache = (query: BenchQuery): BenchQuery => (reports ? query : { ...query, cachedTokens: null });
  const run: BenchRun = { ...measured, model: backend.model, queries: measured.queries.map(unknownCache), baseline: measured.baseline.map(unknownCache) };
  const verdict = judge(run.queries, run.baseline);
  const file = saveBenchRun(benchDir(context.env), run, verdict);
  if (values.json)
    process.stdout.write(
      `${JSON.stringify({ backend: run.backend, model: run.model, queries: run.queries, baseline: run.baseline, speedup: verdict.speedup, systemPromptShare: verdict.systemPromptShare, verdict: verdict.verdict, causes: verdict.causes, file }, null, 2)}\n`,
    );
  else process.stdout.write(formatBenchReport(run, verdict, file));
  return 0;
}

function count(value: string | undefined, flag: string, fallback: number, minimum: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isInteger(number) || number < minimum) throw new CliError(`${flag} ${value}: use a whole number of at least ${minimum}`, 2);
  return number;
}

// A cold prefill takes 30-60 s on a Mac: one line, rewritten in place, says how far it is.
function showProgress(query: string, record: SessionReport): void {
  if (record.state === "prefill" || record.state === "waiting") process.stderr.write(`\r\x1b[K${query}: ${formatStatusLine(record)}`);
}

function clearProgress(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[K");
}
