// The seed's KV-cache test through the daemon, on one of the user's backends (forced by naming it
// as the model): query 1 cold on a fresh prefix, queries 2..N as follow-ups replaying the earlier
// turns, then the same questions with no system prompt or tools (the baseline).
import type { ContentBlock, Message } from "../protocol/anthropic";
import type { SessionReport } from "../server/status-report";
import { daemonHeaders } from "../service/daemon-control";
import { benchPrompt, benchQuestion } from "./bench-prompt";
import { type QueryMeasure, streamQuery } from "./stream-query";

// Short answers: the benchmark measures the prompt, not the generation.
const MAX_TOKENS = 64;

export type BenchQuery = { n: number; ttftMs: number | null; totalMs: number; promptTokens: number; cachedTokens: number | null };

export type BenchRun = {
  backend: string;
  model: string | null;
  startedAt: string;
  tokens: number; // the size asked for; promptTokens say what the backend counted
  toolsSent: boolean;
  queries: BenchQuery[];
  baseline: BenchQuery[];
};

export type BenchOptions = {
  daemonUrl: string;
  backend: string;
  queries: number;
  tokens: number;
  nonce: string;
  authToken?: string;
  onProgress?: (query: string, record: SessionReport) => void;
};

export type DaemonBackend = { name: string; healthy: boolean; model: string | null; tools: boolean; error?: string; reportsCachedTokens?: boolean | null };

export async function runBench(options: BenchOptions, backend: DaemonBackend): Promise<Omit<BenchRun, "model">> {
  const startedAt = new Date().toISOString();
  const prompt = benchPrompt(options.tokens, options.nonce);
  const queries = await converse(options, `bench-${options.nonce}`, { system: prompt.system, tools: prompt.tools }, (n) => benchQuestion(n));
  // The baseline's first question carries the nonce, so its prefix is fresh too.
  const baseline = await converse(options, `bench-${options.nonce}-baseline`, {}, (n) =>
    n === 1 ? `Bench run ${options.nonce}. ${benchQuestion(1)}` : benchQuestion(n),
  );
  return { backend: options.backend, startedAt, tokens: options.tokens, toolsSent: backend.tools, queries, baseline };
}

async function converse(options: BenchOptions, sessionId: string, head: Record<string, unknown>, question: (n: number) => string): Promise<BenchQuery[]> {
  const messages: Message[] = [];
  const results: BenchQuery[] = [];
  for (let n = 1; n <= options.queries; n++) {
    messages.push({ role: "user", content: question(n) });
    const label = `${head.system ? "query" : "baseline"} ${n}`;
    const measure = await streamQuery(
      { model: options.backend, max_tokens: MAX_TOKENS, ...head, messages },
      { daemonUrl: options.daemonUrl, sessionId, authToken: options.authToken, onWaiting: watcher(options, sessionId, label) },
    );
    messages.push({ role: "assistant", content: measure.turn.length > 0 ? measure.turn : [{ type: "text", text: "(no answer)" } as ContentBlock] });
    results.push(toQuery(n, measure));
  }
  return results;
}

function toQuery(n: number, measure: QueryMeasure): BenchQuery {
  return {
    n,
    ttftMs: measure.ttftMs === undefined ? null : Math.round(measure.ttftMs),
    totalMs: Math.round(measure.totalMs),
    promptTokens: measure.promptTokens,
    cachedTokens: measure.cachedTokens,
  };
}

// While a query waits for its first token: the daemon's record of the session, prefill progress
// included (mlx_lm.server's keepalives, llama-server's prompt_progress). One poll at a time.
function watcher(options: BenchOptions, sessionId: string, label: string): (() => void) | undefined {
  const onProgress = options.onProgress;
  if (!onProgress) return undefined;
  let polling = false;
  return () => {
    if (polling) return;
    polling = true;
    fetch(`${options.daemonUrl}/anyclaude/sessions/${encodeURIComponent(sessionId)}`, {
      headers: daemonHeaders(options.authToken),
      signal: AbortSignal.timeout(1_000),
    })
      .then(async (response) => {
        if (response.ok) onProgress(label, (await response.json()) as SessionReport);
      })
      .catch(() => undefined)
      .finally(() => (polling = false));
  };
}
